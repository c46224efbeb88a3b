import { describe, expect, it } from 'vitest';
import {
  archiveThread,
  markTreated,
  openPatientRequest,
  openPractitionerThread,
  readByPatient,
  retractPractitionerMessage,
} from '../../shared/domain/thread-rules.ts';

const input = { id: 't1', practitionerId: 'dr', patientId: 'pat', appointmentId: null };
const T0 = '2026-05-14T08:00:00.000Z';
const T1 = '2026-05-14T08:01:00.000Z';
const T2 = '2026-05-14T08:02:00.000Z';

describe('retractPractitionerMessage', () => {
  const { thread } = openPractitionerThread({ ...input, now: T0, replyPolicy: 'single' });
  const message = { sender: 'practitioner' as const, sentAt: T0 };

  it('an unread message: the thread and the patient counter lose it, the version moves', () => {
    expect(retractPractitionerMessage(thread, message)).toEqual({
      thread: { ...thread, unreadForPatient: 0, version: thread.version + 1 },
      delta: {
        practitioner: { untreatedMessages: 0, unreadThreads: 0, openThreads: 0 },
        patient: { unreadMessages: -1 },
      },
    });
  });

  it('a read message (a read mark at or after it) is a CONFLICT', () => {
    const read = readByPatient(thread, T1).thread;
    expect(() => retractPractitionerMessage(read, message)).toThrow(
      expect.objectContaining({ code: 'CONFLICT' }),
    );
  });

  it('a message sent after the last read mark is still unread', () => {
    const read = readByPatient(thread, T1).thread;
    const later = { ...read, unreadForPatient: 1 };
    expect(retractPractitionerMessage(later, { sender: 'practitioner', sentAt: T2 }).delta.patient).toEqual({
      unreadMessages: -1,
    });
  });

  it("a patient's message is FORBIDDEN", () => {
    expect(() => retractPractitionerMessage(thread, { sender: 'patient', sentAt: T0 })).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN' }),
    );
  });

  it('never decrements below zero', () => {
    const zero = { ...thread, unreadForPatient: 0 };
    expect(retractPractitionerMessage(zero, message).delta.patient.unreadMessages).toBe(0);
  });
});

describe('archiveThread', () => {
  const request = openPatientRequest({ ...input, now: T0 }).thread;

  it('an open thread cannot be archived', () => {
    expect(() => archiveThread(request, T1)).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
  });

  it('a closed unread thread is archived and counts as read', () => {
    const closed = markTreated(request, T1).thread;
    const { thread, delta } = archiveThread(closed, T2);
    expect(thread).toMatchObject({ archived: true, unreadForPractitioner: 0, practitionerReadAt: T2 });
    expect(thread.version).toBe(closed.version + 1);
    expect(delta.practitioner).toEqual({ untreatedMessages: 0, unreadThreads: -1, openThreads: 0 });
  });
});
