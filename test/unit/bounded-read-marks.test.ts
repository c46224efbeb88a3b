/**
 * Bounded read receipts (ADR 0007): the thread item keeps at most
 * PATIENT_READ_MARKS.inline marks, older ones are moved out, and every receipt
 * stays the one the unbounded list gave — "the first mark, in list order, at or
 * after the message was sent" — whatever the clocks did.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addPractitionerMessage,
  isReadByPatient,
  nonDecreasingMarks,
  openPatientRequest,
  openPractitionerThread,
  PATIENT_READ_MARKS,
  patientReadCount,
  readByPatient,
  readByPatientAt,
  type SpilledMarks,
  spilledByChange,
  spilledMarksNeeded,
} from '../../shared/domain/thread-rules.ts';
import type { Thread } from '../../shared/domain/types.ts';

const T0 = '2026-05-14T08:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1_000).toISOString();
const base = { id: 't1', practitionerId: 'doc', patientId: 'pat', appointmentId: null, now: T0 };
const K = PATIENT_READ_MARKS.inline;

/** The receipt as the unbounded list gave it: the first mark, in the order stamped, at or after sentAt. */
const legacyReceipt = (stamps: readonly string[], sentAt: string) => stamps.find((s) => s >= sentAt) ?? null;

/** What the repository's Query answers: spilled marks by (time, seq), from need.from until one reaches upTo. */
const readSpilled = (store: readonly { seq: number; at: string }[], thread: Thread, sentAts: string[]) => {
  const need = spilledMarksNeeded(
    thread,
    sentAts.map((sentAt) => ({ sender: 'practitioner' as const, sentAt })),
  );
  if (!need) return null;
  const sorted = [...store].sort((a, b) => (a.at === b.at ? a.seq - b.seq : a.at < b.at ? -1 : 1));
  const marks: string[] = [];
  for (const mark of sorted.filter((m) => m.at >= need.from)) {
    marks.push(mark.at);
    if (mark.at >= need.upTo) break;
  }
  return { need, marks } satisfies SpilledMarks;
};

describe('the thread item keeps at most K read marks', () => {
  it('moves the oldest out, one per read, and counts them', () => {
    let thread = openPractitionerThread({ ...base, replyPolicy: 'until_closed' }).thread;
    const store: { seq: number; at: string }[] = [];
    for (let i = 1; i <= K + 5; i++) {
      const before = thread;
      thread = readByPatient(thread, at(2 * i)).thread;
      store.push(...spilledByChange(before, thread));
      thread = addPractitionerMessage(thread, {
        replyPolicy: 'until_closed',
        markTreated: false,
        now: at(2 * i + 1),
      }).thread;
    }
    expect(thread.patientReadMarks).toHaveLength(K);
    expect(thread.patientReadMarksSpilled).toBe(5);
    expect(patientReadCount(thread)).toBe(K + 5);
    expect(store).toEqual([1, 2, 3, 4, 5].map((i) => ({ seq: i - 1, at: at(2 * i) })));
    expect(thread.patientReadMarks[0]).toBe(at(12));
  });

  it('a list written before the bound shrinks by at most spillPerWrite per read', () => {
    const stamps = Array.from({ length: K + 25 }, (_, i) => at(i));
    let thread: Thread = {
      ...openPractitionerThread({ ...base, replyPolicy: 'until_closed' }).thread,
      patientReadMarks: stamps,
    };
    const sizes: number[] = [];
    for (let i = 0; i < 4; i++) {
      thread = { ...thread, unreadForPatient: 1 };
      const before = thread;
      thread = readByPatient(thread, at(1_000 + i)).thread;
      expect(spilledByChange(before, thread).map((m) => m.seq)).toEqual(
        Array.from(
          { length: thread.patientReadMarksSpilled - before.patientReadMarksSpilled },
          (_, j) => before.patientReadMarksSpilled + j,
        ),
      );
      sizes.push(thread.patientReadMarks.length);
    }
    expect(sizes).toEqual([K + 16, K + 7, K, K]);
    expect(patientReadCount(thread)).toBe(K + 25 + 4);
  });

  it('a read with nothing unread adds no mark', () => {
    const thread = readByPatient(openPatientRequest(base).thread, at(1)).thread;
    expect(thread.patientReadMarks).toEqual([]);
    expect(thread.patientReadMarksSpilled).toBe(0);
  });

  it('a read stamped before the newest mark (a clock behind) counts at the newest mark', () => {
    let thread = openPractitionerThread({ ...base, replyPolicy: 'until_closed' }).thread;
    thread = readByPatient(thread, at(10)).thread;
    thread = { ...thread, unreadForPatient: 1 };
    thread = readByPatient(thread, at(5)).thread;
    expect(thread.patientReadMarks).toEqual([at(10), at(10)]);
    expect(nonDecreasingMarks([at(3), at(1), at(4), at(2)])).toEqual([at(3), at(3), at(4), at(4)]);
  });
});

describe('receipts', () => {
  it('a message older than every inline mark needs the spilled ones; asking without them is a bug', () => {
    const thread: Thread = {
      ...openPractitionerThread({ ...base, replyPolicy: 'until_closed' }).thread,
      patientReadMarks: [at(50), at(60)],
      patientReadMarksSpilled: 3,
    };
    const old = { sender: 'practitioner' as const, sentAt: at(15) };
    const recent = { sender: 'practitioner' as const, sentAt: at(55) };
    expect(readByPatientAt(thread, recent)).toBe(at(60));
    expect(readByPatientAt(thread, { sender: 'practitioner', sentAt: at(61) })).toBeNull();
    expect(readByPatientAt(thread, { sender: 'patient', sentAt: at(15) })).toBeNull();
    expect(() => readByPatientAt(thread, old)).toThrow(/spilled/);
    expect(spilledMarksNeeded(thread, [recent])).toBeNull();
    const need = spilledMarksNeeded(thread, [old, recent, { sender: 'practitioner', sentAt: at(5) }]);
    expect(need).toEqual({ from: at(5), upTo: at(15), messages: 2 });
    if (!need) throw new Error('needed');
    expect(readByPatientAt(thread, old, { need, marks: [at(10), at(20)] })).toBe(at(20));
    // Nothing spilled at or after it: the oldest inline mark.
    expect(readByPatientAt(thread, old, { need, marks: [at(10)] })).toBe(at(50));
    expect(isReadByPatient(thread, old)).toBe(true);
    expect(isReadByPatient(thread, { sentAt: at(61) })).toBe(false);
  });

  it('are those of the unbounded list, for any reads, messages and clocks (property)', () => {
    // Steps: a practitioner message, or a patient read, each at a time that may jump back.
    const step = fc.record({ read: fc.boolean(), dt: fc.integer({ min: -5, max: 20 }) });
    let spilledRuns = 0;
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 200, size: 'max' }),
        fc.integer({ min: 1, max: 30 }),
        (steps, page) => {
          let thread = openPractitionerThread({ ...base, replyPolicy: 'until_closed' }).thread;
          const sent = [T0];
          const stamps: string[] = [];
          const store: { seq: number; at: string }[] = [];
          let clock = 0;
          for (const { read, dt } of steps) {
            clock += dt;
            if (read) {
              if (thread.unreadForPatient > 0) stamps.push(at(clock));
              const before = thread;
              thread = readByPatient(thread, at(clock)).thread;
              store.push(...spilledByChange(before, thread));
            } else {
              thread = addPractitionerMessage(thread, {
                replyPolicy: 'until_closed',
                markTreated: false,
                now: at(clock),
              }).thread;
              sent.push(at(clock));
            }
            expect(thread.patientReadMarks.length).toBeLessThanOrEqual(K);
          }
          expect(patientReadCount(thread)).toBe(stamps.length);
          if (stamps.length > K) spilledRuns += 1;
          // Pages of `page` messages in write order, as the thread view shows them.
          for (let end = sent.length; end > 0; end -= page) {
            const onPage = sent.slice(Math.max(0, end - page), end);
            const spilled = readSpilled(store, thread, onPage);
            for (const sentAt of onPage) {
              expect(readByPatientAt(thread, { sender: 'practitioner', sentAt }, spilled)).toBe(
                legacyReceipt(stamps, sentAt),
              );
              expect(isReadByPatient(thread, { sentAt })).toBe(legacyReceipt(stamps, sentAt) !== null);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
    // The runs do go past the bound (else this would prove nothing about spilled marks).
    expect(spilledRuns).toBeGreaterThan(100);
  });

  it('a list written before the bound, in any order, gives the same receipts read as non-decreasing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 210 }),
        (seconds, sentAt) => {
          const stamps = seconds.map(at);
          const thread = { patientReadMarks: nonDecreasingMarks(stamps), patientReadMarksSpilled: 0 };
          expect(readByPatientAt(thread, { sender: 'practitioner', sentAt: at(sentAt) })).toBe(
            legacyReceipt(stamps, at(sentAt)),
          );
        },
      ),
    );
  });
});
