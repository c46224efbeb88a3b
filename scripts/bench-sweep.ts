/**
 * `npm run bench:sweep` — two sweeps, each next to a baseline measured in the same
 * run (BENCH_ONLY=untreated or BENCH_ONLY=due-work runs one of them):
 *
 * 1. what the untreated sweep reads, and how long it takes, as the number of
 *    messages grows, next to a Scan-based count of the same data (below);
 * 2. how fast the due-work queue drains with 1, 2, 4 and 8 workers, next to the
 *    bare claim + finish writes of the same items (scripts/bench/due-work-drain.ts).
 *
 * Not a test: it prints tables.
 *
 * DynamoDB Local (in memory, spawned here); 1,000 practitioners, 10 of them over
 * the threshold (6 untreated messages each), the others at 0–3 untreated, and the
 * rest of the messages in treated (closed) threads. Seeded with BatchWriteItem
 * directly (thread and message items built by the real item mappers), first to
 * 10k messages, then to 100k. The sweep is the real use case (with a mailer that
 * only counts, so SES latency does not blur the reads); the Scan lives only here.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startDynamoDbLocal } from '../local/dynamodb-local.ts';
import { ensureTable } from '../local/table.ts';
import { createDocumentClient, type Db } from '../shared/db/client.ts';
import { keys } from '../shared/db/keys.ts';
import type { Message, Thread } from '../shared/domain/types.ts';
import { toMessageItem, toThreadItem } from '../shared/repositories/thread-repository.ts';
import { fixedClock } from '../shared/runtime/clock.ts';
import { buildDeps } from '../shared/runtime/deps.ts';
import type { Mailer } from '../shared/runtime/mailer.ts';
import { allOptionalRepositories } from '../shared/runtime/optional-repositories.ts';
import type { Deps } from '../shared/use-cases/deps.ts';
import { runNotificationSweep } from '../shared/use-cases/notifications.ts';
import { benchDueWorkDrain } from './bench/due-work-drain.ts';

const PRACTITIONERS = 1000;
const OVER_THRESHOLD = 10;
const HOT_UNTREATED = 6;
const STEPS = [10_000, 100_000];
const MESSAGES_PER_CLOSED_THREAD = 10;
const BATCH = 25;
const WRITERS = 16;
const REGION = 'eu-west-3';
const T0 = Date.parse('2026-05-14T08:00:00.000Z');

const practitionerId = (i: number) => `dr-${String(i).padStart(4, '0')}`;
const iso = (ms: number) => new Date(ms).toISOString();

/** Counts round-trips and items returned, per operation, on one document client. */
const meter = (db: Db) => {
  const calls: { operation: string; items: number; scanned: number }[] = [];
  db.client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const output = result.output as { Items?: unknown[]; Item?: unknown; ScannedCount?: number };
      const items = Array.isArray(output.Items) ? output.Items.length : output.Item ? 1 : 0;
      calls.push({
        operation: String(context.commandName).replace(/Command$/, ''),
        items,
        scanned: output.ScannedCount ?? items,
      });
      return result;
    },
    { step: 'initialize', name: 'benchMeter' },
  );
  return {
    reset: () => {
      calls.length = 0;
    },
    summary: () => ({
      roundTrips: calls.length,
      itemsRead: calls.reduce((n, c) => n + c.scanned, 0),
      byOperation: Object.fromEntries(
        [...new Set(calls.map((c) => c.operation))].map((op) => [
          op,
          calls.filter((c) => c.operation === op).length,
        ]),
      ),
    }),
  };
};

const writeAll = async (db: Db, items: Record<string, unknown>[]) => {
  let next = 0;
  const writer = async () => {
    while (next < items.length) {
      const start = next;
      next += BATCH;
      let request = items.slice(start, start + BATCH).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; request.length > 0; attempt++) {
        if (attempt > 20) throw new Error('BatchWriteItem kept items unprocessed');
        const result = await db.client.send(
          new BatchWriteCommand({ RequestItems: { [db.tableName]: request } }),
        );
        request = (result.UnprocessedItems?.[db.tableName] ?? []) as typeof request;
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
};

const thread = (
  id: string,
  doc: string,
  patient: string,
  open: boolean,
  untreated: number,
  at: number,
): Thread => ({
  id,
  practitionerId: doc,
  patientId: patient,
  origin: 'patient',
  status: open ? 'open' : 'closed',
  replyPolicy: 'until_closed',
  appointmentId: null,
  createdAt: iso(at),
  lastMessageAt: iso(at + 60_000),
  treatedAt: open ? null : iso(at + 120_000),
  untreatedCount: untreated,
  unreadForPractitioner: 0,
  unreadForPatient: 0,
  patientRepliesLeft: 0,
  patientReadMarks: [],
  patientReadMarksSpilled: 0,
  practitionerReadAt: iso(at + 60_000),
  archived: false,
  version: 1,
});

const message = (t: Thread, n: number, sender: Message['sender'], at: number): Message => ({
  id: `${t.id}-m${String(n).padStart(3, '0')}`,
  threadId: t.id,
  practitionerId: t.practitionerId,
  patientId: t.patientId,
  sender,
  body: `Message ${n} du fil ${t.id} : texte de longueur habituelle pour une demande de patient, environ deux cents caractères, afin que la taille des éléments ressemble à la production.`,
  sentAt: iso(at),
  replyPolicy: sender === 'practitioner' ? 'until_closed' : null,
});

/** Open threads: the hot practitioners' (over the threshold) and 0–3 untreated for the others. */
const seedPractitioners = async (db: Db) => {
  const items: Record<string, unknown>[] = [];
  let messages = 0;
  for (let i = 0; i < PRACTITIONERS; i++) {
    const doc = practitionerId(i);
    const untreated = i < OVER_THRESHOLD ? HOT_UNTREATED : i % 4;
    items.push({
      ...keys.practitionerSettings(doc),
      entity: 'PractitionerSettings',
      email: `${doc}@cabinet.bench`,
      displayName: `Dr ${doc}`,
    });
    items.push({
      ...keys.practitionerCounters(doc),
      untreatedMessages: untreated,
      unreadThreads: 0,
      openThreads: untreated > 0 ? 1 : 0,
    });
    if (untreated > 0) {
      const t = thread(`open-${doc}`, doc, `pat-${doc}-0`, true, untreated, T0 - 3_600_000);
      items.push(toThreadItem(t));
      for (let n = 0; n < untreated; n++) {
        items.push(toMessageItem(message(t, n, 'patient', T0 - 3_600_000 + n * 1000)));
      }
      messages += untreated;
    }
  }
  await writeAll(db, items);
  return messages;
};

/** Treated threads of 10 messages, round-robin over the practitioners, until `total` messages exist. */
const seedClosedThreads = async (db: Db, from: number, total: number, firstThread: number) => {
  let count = from;
  let index = firstThread;
  while (count < total) {
    const items: Record<string, unknown>[] = [];
    while (count < total && items.length < 5000) {
      const doc = practitionerId(index % PRACTITIONERS);
      const at = T0 - 30 * 86_400_000 + index * 1000;
      const t = thread(`closed-${index}`, doc, `pat-${doc}-${index % 50}`, false, 0, at);
      items.push(toThreadItem(t));
      const n = Math.min(MESSAGES_PER_CLOSED_THREAD, total - count);
      for (let m = 0; m < n; m++) {
        items.push(toMessageItem(message(t, m, m % 2 === 0 ? 'patient' : 'practitioner', at + m * 1000)));
      }
      count += n;
      index += 1;
    }
    await writeAll(db, items);
  }
  return index;
};

/** The naive way: read every item, count untreated patient messages per practitioner from threads and messages. */
const scanCount = async (db: Db, threshold: number) => {
  const openThreads = new Set<string>();
  const patientMessagesByThread = new Map<string, { doc: string; n: number }>();
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(new ScanCommand({ TableName: db.tableName, ExclusiveStartKey }));
    for (const item of page.Items ?? []) {
      if (item.entity === 'Thread' && item.status === 'open') openThreads.add(item.id as string);
      if (item.entity === 'Message' && item.sender === 'patient') {
        const entry = patientMessagesByThread.get(item.threadId as string) ?? {
          doc: item.practitionerId as string,
          n: 0,
        };
        entry.n += 1;
        patientMessagesByThread.set(item.threadId as string, entry);
      }
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  const untreated = new Map<string, number>();
  for (const [threadId, { doc, n }] of patientMessagesByThread) {
    if (openThreads.has(threadId)) untreated.set(doc, (untreated.get(doc) ?? 0) + n);
  }
  return [...untreated.values()].filter((n) => n >= threshold).length;
};

const time = async <T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> => {
  const start = performance.now();
  const result = await run();
  return { result, ms: performance.now() - start };
};

const main = async () => {
  const dynamo = await startDynamoDbLocal({ readyTimeoutMs: 60_000 });
  try {
    const tableName = 'bench-sweep';
    await ensureTable(
      new DynamoDBClient({
        endpoint: dynamo.endpoint,
        region: REGION,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      tableName,
      // Nothing reads the stream here: none, as in the integration tests.
      { stream: false },
    );
    const db: Db = { client: createDocumentClient({ endpoint: dynamo.endpoint, region: REGION }), tableName };
    const clock = fixedClock(iso(T0));
    let sent = 0;
    const countingMailer: Mailer = {
      async send() {
        sent += 1;
        return { messageId: `bench-${sent}` };
      },
    };
    const deps: Deps = buildDeps({
      db,
      optional: allOptionalRepositories(db),
      clock,
      mailer: countingMailer,
      appBaseUrl: 'https://app.bench',
    });

    process.stdout.write(`Seeding ${PRACTITIONERS} practitioners (${OVER_THRESHOLD} over the threshold)…\n`);
    let messages = await seedPractitioners(db);
    // The sweep index as the MessageReceived consumers leave it.
    for (let i = 0; i < PRACTITIONERS; i++) await deps.notifications.reconcileDigestIndex(practitionerId(i));
    // An unrelated item, to show the Scan pays for everything in the table.
    await db.client.send(new PutCommand({ TableName: tableName, Item: { pk: 'BENCH', sk: 'MARKER' } }));

    const m = meter(db);
    const rows: string[][] = [];
    let nextThread = 0;
    for (const [step, total] of STEPS.entries()) {
      const seeded = await time(async () => {
        nextThread = await seedClosedThreads(db, messages, total, nextThread);
      });
      messages = total;
      process.stdout.write(
        `  ${total.toLocaleString('en')} messages seeded (${(seeded.ms / 1000).toFixed(1)} s)\n`,
      );

      // Each step is a week later, so the same ten practitioners are due again.
      clock.set(iso(T0 + step * 8 * 86_400_000));
      sent = 0;
      m.reset();
      const sweep = await time(() => runNotificationSweep(deps));
      const sweepReads = m.summary();
      if (sent !== OVER_THRESHOLD)
        throw new Error(`The sweep sent ${sent} emails, expected ${OVER_THRESHOLD}`);

      m.reset();
      const scan = await time(() => scanCount(db, 4));
      const scanReads = m.summary();
      if (scan.result !== OVER_THRESHOLD)
        throw new Error(`The Scan found ${scan.result}, expected ${OVER_THRESHOLD}`);

      rows.push([
        total.toLocaleString('en'),
        String(sweep.result.itemsRead),
        String(sweepReads.itemsRead),
        String(sweepReads.roundTrips),
        sweep.ms.toFixed(0),
        String(sent),
        scanReads.itemsRead.toLocaleString('en'),
        String(scanReads.roundTrips),
        scan.ms.toFixed(0),
        `${(scanReads.itemsRead / sweepReads.itemsRead).toFixed(0)}×`,
        `${(scan.ms / sweep.ms).toFixed(1)}×`,
      ]);
    }

    const header = [
      'messages',
      'sweep: index items',
      'sweep: items read',
      'sweep: round-trips',
      'sweep: ms',
      'emails',
      'scan: items read',
      'scan: round-trips',
      'scan: ms',
      'items ratio',
      'time ratio',
    ];
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    process.stdout.write(
      [
        '',
        `Untreated sweep vs Scan-based count — ${PRACTITIONERS} practitioners, ${OVER_THRESHOLD} over the threshold (DynamoDB Local)`,
        '',
        line(header),
        line(header.map(() => '---')),
        ...rows.map(line),
        '',
        'sweep: index items = DIGEST_DUE entries its Queries returned; items read = those plus the per-candidate',
        'GetItems (live counter, settings). Its conditional writes (claim, confirm, move the entry) are round-trips, not reads.',
        'DynamoDB Local timings are indicative only; items read are what DynamoDB bills (RCU ∝ items and size).',
        '',
      ].join('\n'),
    );
  } finally {
    await dynamo.stop();
  }
};

const ONLY = new Set((process.env.BENCH_ONLY ?? 'untreated,due-work').split(','));

/** The due-work part, on a DynamoDB Local of its own. */
const dueWorkMain = async () => {
  const dynamo = await startDynamoDbLocal({ readyTimeoutMs: 60_000 });
  try {
    process.stdout.write('\nDue-work drain (BENCH_DUE_ITEMS, BENCH_DUE_RUNNER_MS change it)…\n');
    process.stdout.write(await benchDueWorkDrain(dynamo.endpoint));
  } finally {
    await dynamo.stop();
  }
};

const run = async () => {
  if (ONLY.has('untreated')) await main();
  if (ONLY.has('due-work')) await dueWorkMain();
};

run().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
