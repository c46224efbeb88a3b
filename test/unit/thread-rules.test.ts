import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplyNotAllowed, ThreadClosed } from '../../shared/domain/errors.ts';
import {
  addPatientMessage,
  addPractitionerMessage,
  markTreated,
  openPatientRequest,
  openPractitionerThread,
  patientReplyRefusal,
  readByPatient,
  readByPatientAt,
  readByPractitioner,
} from '../../shared/domain/thread-rules.ts';
import type { CounterDelta, ReplyPolicy, Thread } from '../../shared/domain/types.ts';

const T0 = '2026-05-14T08:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();
const base = { id: 't1', practitionerId: 'doc', patientId: 'pat', appointmentId: null, now: T0 };

describe('patient requests', () => {
  it('opens with one untreated, unread message and counts an open thread', () => {
    const { thread, delta } = openPatientRequest(base);
    expect(thread).toMatchObject({
      origin: 'patient',
      status: 'open',
      untreatedCount: 1,
      unreadForPractitioner: 1,
    });
    expect(delta.practitioner).toEqual({ untreatedMessages: 1, unreadThreads: 1, openThreads: 1 });
    expect(patientReplyRefusal(thread)).toBeNull();
  });

  it('lets the patient keep writing while open, counting an unread thread only once', () => {
    const first = openPatientRequest(base).thread;
    const second = addPatientMessage(first, at(1));
    expect(second.thread.untreatedCount).toBe(2);
    expect(second.delta.practitioner).toEqual({ untreatedMessages: 1, unreadThreads: 0, openThreads: 0 });
    expect(second.thread.version).toBe(first.version + 1);
  });
});

describe('reply policies', () => {
  const practitionerThread = (replyPolicy: ReplyPolicy) =>
    openPractitionerThread({ ...base, replyPolicy }).thread;

  it('none: the patient cannot answer', () => {
    const thread = practitionerThread('none');
    expect(patientReplyRefusal(thread)).toBe('REPLY_NOT_ALLOWED');
    expect(() => addPatientMessage(thread, at(1))).toThrow(ReplyNotAllowed);
  });

  it('single: exactly one answer, then the right is used up until granted again', () => {
    const granted = practitionerThread('single');
    const answered = addPatientMessage(granted, at(1)).thread;
    expect(() => addPatientMessage(answered, at(2))).toThrow(ReplyNotAllowed);
    const regranted = addPractitionerMessage(answered, {
      replyPolicy: 'single',
      markTreated: false,
      now: at(3),
    }).thread;
    expect(patientReplyRefusal(regranted)).toBeNull();
  });

  it('until_closed: any number of answers until the thread is closed', () => {
    let thread = practitionerThread('until_closed');
    for (let i = 1; i <= 5; i++) thread = addPatientMessage(thread, at(i)).thread;
    expect(thread.untreatedCount).toBe(5);
    const closed = markTreated(thread, at(10)).thread;
    expect(patientReplyRefusal(closed)).toBe('THREAD_CLOSED');
    expect(() => addPatientMessage(closed, at(11))).toThrow(ThreadClosed);
  });
});

describe('treating', () => {
  it('closes the thread and removes exactly its untreated messages from the counter', () => {
    let thread = openPatientRequest(base).thread;
    thread = addPatientMessage(thread, at(1)).thread;
    const { thread: closed, delta } = markTreated(thread, at(2));
    expect(closed).toMatchObject({ status: 'closed', untreatedCount: 0, treatedAt: at(2) });
    expect(delta.practitioner).toEqual({ untreatedMessages: -2, unreadThreads: 0, openThreads: -1 });
  });

  it('refuses to treat or answer a closed thread', () => {
    const closed = markTreated(openPatientRequest(base).thread, at(1)).thread;
    expect(() => markTreated(closed, at(2))).toThrow(ThreadClosed);
    expect(() =>
      addPractitionerMessage(closed, { replyPolicy: 'none', markTreated: false, now: at(2) }),
    ).toThrow(ThreadClosed);
  });

  it('answer and treat in one step adds the message, reads and closes', () => {
    const request = openPatientRequest(base).thread;
    const { thread, delta } = addPractitionerMessage(request, {
      replyPolicy: 'single',
      markTreated: true,
      now: at(1),
    });
    expect(thread).toMatchObject({
      status: 'closed',
      untreatedCount: 0,
      unreadForPatient: 1,
      unreadForPractitioner: 0,
    });
    expect(thread.version).toBe(request.version + 1);
    expect(delta).toEqual({
      practitioner: { untreatedMessages: -1, unreadThreads: -1, openThreads: -1 },
      patient: { unreadMessages: 1 },
    });
  });
});

describe('read receipts', () => {
  it('gives each practitioner message the first patient read after it was sent', () => {
    let thread = openPractitionerThread({ ...base, replyPolicy: 'until_closed' }).thread;
    thread = readByPatient(thread, at(5)).thread;
    thread = addPractitionerMessage(thread, {
      replyPolicy: 'until_closed',
      markTreated: false,
      now: at(6),
    }).thread;
    expect(readByPatientAt(thread, { sender: 'practitioner', sentAt: T0 })).toBe(at(5));
    expect(readByPatientAt(thread, { sender: 'practitioner', sentAt: at(6) })).toBeNull();
    thread = readByPatient(thread, at(9)).thread;
    expect(readByPatientAt(thread, { sender: 'practitioner', sentAt: at(6) })).toBe(at(9));
    expect(readByPatientAt(thread, { sender: 'patient', sentAt: T0 })).toBeNull();
  });

  it('adds no read mark when nothing was unread', () => {
    const thread = readByPatient(
      openPractitionerThread({ ...base, replyPolicy: 'none' }).thread,
      at(1),
    ).thread;
    const again = readByPatient(thread, at(2));
    expect(again.thread.patientReadMarks).toEqual([at(1)]);
    expect(again.delta.patient.unreadMessages).toBe(0);
  });

  it('practitioner read clears the unread thread once', () => {
    const request = openPatientRequest(base).thread;
    expect(readByPractitioner(request, at(1)).delta.practitioner.unreadThreads).toBe(-1);
    const read = readByPractitioner(request, at(1)).thread;
    expect(readByPractitioner(read, at(2)).delta.practitioner.unreadThreads).toBe(0);
  });
});

/** Any sequence of allowed steps keeps the counter deltas equal to the thread's own counts. */
describe('counter deltas always sum to the thread state (property)', () => {
  type Step =
    | 'patient'
    | 'practitioner-none'
    | 'practitioner-single'
    | 'practitioner-until'
    | 'treat'
    | 'pread'
    | 'dread';
  const steps = fc.array(
    fc.constantFrom<Step>(
      'patient',
      'practitioner-none',
      'practitioner-single',
      'practitioner-until',
      'treat',
      'pread',
      'dread',
    ),
    { maxLength: 30 },
  );

  const apply = (thread: Thread, step: Step, now: string) => {
    switch (step) {
      case 'patient':
        return addPatientMessage(thread, now);
      case 'practitioner-none':
        return addPractitionerMessage(thread, { replyPolicy: 'none', markTreated: false, now });
      case 'practitioner-single':
        return addPractitionerMessage(thread, { replyPolicy: 'single', markTreated: false, now });
      case 'practitioner-until':
        return addPractitionerMessage(thread, { replyPolicy: 'until_closed', markTreated: false, now });
      case 'treat':
        return markTreated(thread, now);
      case 'pread':
        return readByPatient(thread, now);
      case 'dread':
        return readByPractitioner(thread, now);
    }
  };

  it('holds for every sequence', () => {
    fc.assert(
      fc.property(fc.boolean(), steps, (patientOrigin, sequence) => {
        const opened = patientOrigin
          ? openPatientRequest(base)
          : openPractitionerThread({ ...base, replyPolicy: 'single' });
        let thread = opened.thread;
        const total: CounterDelta = structuredClone(opened.delta);
        sequence.forEach((step, i) => {
          try {
            const next = apply(thread, step, at(i + 1));
            thread = next.thread;
            total.practitioner.untreatedMessages += next.delta.practitioner.untreatedMessages;
            total.practitioner.unreadThreads += next.delta.practitioner.unreadThreads;
            total.practitioner.openThreads += next.delta.practitioner.openThreads;
            total.patient.unreadMessages += next.delta.patient.unreadMessages;
          } catch (error) {
            expect(error).toSatisfy((e) => e instanceof ThreadClosed || e instanceof ReplyNotAllowed);
          }
        });
        expect(total.practitioner.untreatedMessages).toBe(thread.untreatedCount);
        expect(total.practitioner.unreadThreads).toBe(thread.unreadForPractitioner > 0 ? 1 : 0);
        expect(total.practitioner.openThreads).toBe(thread.status === 'open' ? 1 : 0);
        expect(total.patient.unreadMessages).toBe(thread.unreadForPatient);
        expect(thread.untreatedCount).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
