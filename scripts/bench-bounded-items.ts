/**
 * `npx tsx scripts/bench-bounded-items.ts` — what a patient read writes as a thread
 * collects reads, with bounded read receipts and per-side inbox projections (ADR
 * 0007), next to the unbounded list projected ALL (the baseline, computed in the
 * same run from the same thread states). Not a test: it prints a table.
 *
 * Sizes follow DynamoDB's item-size rules (attribute names + values) on the items
 * the real mappers build (toThreadItem); write units follow the pricing rules: a
 * transactional write is 2 WCU per KB, an index entry 1 WCU per KB and only when
 * its keys or projected attributes change. The thread is open with nothing
 * untreated (entries on gsi1, gsi2, gsi4); counters, outbox and audit items, the
 * same in both, are left out.
 */
import { PATIENT_LIST_FIELDS, PRACTITIONER_LIST_FIELDS } from '../shared/domain/thread-lists.ts';
import {
  addPractitionerMessage,
  markTreated,
  openPatientRequest,
  readByPatient,
  spilledByChange,
} from '../shared/domain/thread-rules.ts';
import type { Thread } from '../shared/domain/types.ts';
import { toThreadItem } from '../shared/repositories/thread-repository.ts';

const valueSize = (value: unknown): number => {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace('.', '').length / 2) + 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueSize(v), 0);
  return 3 + Object.entries(value).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + 1 + valueSize(v), 0);
};
const itemSize = (item: Record<string, unknown>) =>
  Object.entries(item).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + valueSize(v), 0);
const kb = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
const only = (item: Record<string, unknown>, names: readonly string[]) =>
  Object.fromEntries(names.filter((n) => n in item).map((n) => [n, item[n]]));
const changed = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  JSON.stringify(a) !== JSON.stringify(b);

const INDEXES = [
  { name: 'gsi1', fields: PRACTITIONER_LIST_FIELDS },
  { name: 'gsi2', fields: PRACTITIONER_LIST_FIELDS },
  { name: 'gsi4', fields: PATIENT_LIST_FIELDS },
] as const;
const entryKeys = (name: string) => ['pk', 'sk', `${name}pk`, `${name}sk`];

/** WCU of one patient read from `before` to `after`: the thread Put, index entries, moved marks. */
const readCost = (before: Thread, after: Thread, projected: boolean) => {
  const [b, a] = [toThreadItem(before), toThreadItem(after)];
  let index = 0;
  for (const { name, fields } of INDEXES) {
    const names = projected ? [...entryKeys(name), ...fields] : Object.keys(a);
    const [eb, ea] = [only(b, names), only(a, names)];
    if (changed(eb, ea)) index += kb(itemSize(ea));
  }
  return { thread: 2 * kb(itemSize(a)), index, moved: 2 * spilledByChange(before, after).length };
};

/** Without the bound: the whole list stays on the item. */
const unbounded = (thread: Thread, now: string): Thread => ({
  ...thread,
  unreadForPatient: 0,
  patientReadMarks: [...thread.patientReadMarks, now],
  version: thread.version + 1,
});

const ids = {
  practitionerId: 'c1b0e7a2-3f4d-4a51-9d7e-2b8f6a1c0d93',
  patientId: 'f3a9c2d1-7b6e-4c58-8a1f-0e9d2b7c4a65',
};
const start = Date.parse('2026-05-14T08:00:00.000Z');
const at = (s: number) => new Date(start + s * 1000).toISOString();
let bounded = markTreated(
  openPatientRequest({ id: '01KRJQZT00TX799D40BANQ9D6M', ...ids, appointmentId: null, now: at(0) }).thread,
  at(0),
).thread;
bounded = { ...bounded, status: 'open', lastMessageId: '01KRJQZT00TX799D40BANQ9D6M' };
let baseline = bounded;

console.log(
  '| reads | thread item: unbounded | bounded | WCU per read: unbounded, ALL | bounded, INCLUDE | ratio |',
);
console.log(
  '| ----- | ---------------------- | ------- | ---------------------------- | ---------------- | ----- |',
);
const report = new Set([1, 20, 50, 100, 500, 1000, 5000]);
for (let read = 1; read <= 5000; read++) {
  const now = at(2 * read);
  const answer = { replyPolicy: 'until_closed' as const, markTreated: false, now: at(2 * read - 1) };
  bounded = addPractitionerMessage(bounded, answer).thread;
  baseline = addPractitionerMessage(baseline, answer).thread;
  const [b0, u0] = [bounded, baseline];
  bounded = readByPatient(bounded, now).thread;
  baseline = unbounded(baseline, now);
  if (!report.has(read)) continue;
  const after = readCost(b0, bounded, true);
  const before = readCost(u0, baseline, false);
  const [wa, wb] = [after.thread + after.index + after.moved, before.thread + before.index];
  console.log(
    `| ${read} | ${itemSize(toThreadItem(baseline))} B | ${itemSize(toThreadItem(bounded))} B | ${wb} (thread ${before.thread}, indexes ${before.index}) | ${wa} (thread ${after.thread}, indexes ${after.index}, moved mark ${after.moved}) | ${(wb / wa).toFixed(1)}× |`,
  );
}
