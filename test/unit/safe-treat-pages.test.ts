/**
 * SPEC 11.1, the pure parts: the safe-treat rule (never close over an unseen
 * patient message), message ids that only grow within a thread, the thread-page
 * key range, the request schemas and the HTTP mapping of THREAD_CHANGED.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keys, messageIdOfSk, THREAD_SK, threadPageRange } from '../../shared/db/keys.ts';
import { ThreadChanged } from '../../shared/domain/errors.ts';
import {
  addPatientMessage,
  addPractitionerMessage,
  openPatientRequest,
  openPractitionerThread,
  readByPractitioner,
  recordMessage,
  seenUpTo,
  unseenPatientMessages,
} from '../../shared/domain/thread-rules.ts';
import type { Sender, Thread } from '../../shared/domain/types.ts';
import { toErrorResponse } from '../../shared/http/errors.ts';
import { replySchema, treatSchema } from '../../shared/http/practitioner-schemas.ts';
import { threadPageQuerySchema } from '../../shared/http/schemas.ts';
import { fixedClock } from '../../shared/runtime/clock.ts';
import { idAfter, ulidGenerator } from '../../shared/runtime/ids.ts';

const T0 = '2026-05-14T08:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();
const base = { id: 't1', practitionerId: 'doc', patientId: 'pat', appointmentId: null, now: T0 };

describe('safe treat: unseenPatientMessages', () => {
  const request = () => recordMessage(openPatientRequest(base).thread, { id: 'M01', sender: 'patient' });

  it('with lastSeenMessageId: unseen exactly when a patient message sorts after it', () => {
    const thread = recordMessage(addPatientMessage(request(), at(1)).thread, {
      id: 'M02',
      sender: 'patient',
    });
    expect(unseenPatientMessages(thread, { lastSeenMessageId: 'M01' })).toBe('unseen');
    expect(unseenPatientMessages(thread, { lastSeenMessageId: 'M02' })).toBe('none');
    // A later practitioner message seen covers every patient message before it.
    const answered = recordMessage(
      addPractitionerMessage(thread, { replyPolicy: 'none', markTreated: false, now: at(2) }).thread,
      { id: 'M03', sender: 'practitioner' },
    );
    expect(unseenPatientMessages(answered, { lastSeenMessageId: 'M03' })).toBe('none');
    expect(unseenPatientMessages(answered, { lastSeenMessageId: 'M01' })).toBe('unseen');
  });

  it('without it: what the practitioner read (a read or a reply); never read = every patient message unseen', () => {
    const thread = request();
    expect(thread.practitionerReadAt).toBeNull();
    expect(unseenPatientMessages(thread, { lastRead: true })).toBe('unseen');
    const read = readByPractitioner(thread, at(1)).thread;
    expect(unseenPatientMessages(read, { lastRead: true })).toBe('none');
    const written = addPatientMessage(read, at(2)).thread;
    expect(unseenPatientMessages(written, { lastRead: true })).toBe('unseen');
    const replied = addPractitionerMessage(written, { replyPolicy: 'none', markTreated: false, now: at(3) });
    expect(unseenPatientMessages(replied.thread, { lastRead: true })).toBe('none');
  });

  it('a practitioner thread without any patient message has nothing unseen, read or not', () => {
    const thread = openPractitionerThread({ ...base, replyPolicy: 'single' }).thread;
    expect(thread.lastPatientMessageId).toBeNull();
    expect(unseenPatientMessages(thread, { lastRead: true })).toBe('none');
    expect(unseenPatientMessages(thread, { lastSeenMessageId: 'M00' })).toBe('none');
  });

  it('a thread from before lastPatientMessageId was kept: `unknown` (the messages decide)', () => {
    const legacy: Thread = { ...request() };
    delete legacy.lastPatientMessageId;
    expect(unseenPatientMessages(legacy, { lastSeenMessageId: 'M01' })).toBe('unknown');
    expect(unseenPatientMessages({ ...legacy, unreadForPractitioner: 0 }, { lastRead: true })).toBe('none');
  });

  it('seenUpTo: the field when given, else the last read', () => {
    expect(seenUpTo(undefined)).toEqual({ lastRead: true });
    expect(seenUpTo('M01')).toEqual({ lastSeenMessageId: 'M01' });
  });

  /** A model that only looks at the list of messages and reads, against the thread state the transitions keep. */
  it('agrees with a model of the messages for every sequence (property)', () => {
    type Step = 'patient' | 'reply' | 'read';
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<Step>('patient', 'reply', 'read'), { maxLength: 25 }),
        fc.nat(),
        (steps, pick) => {
          let thread = recordMessage(openPatientRequest(base).thread, { id: 'M000', sender: 'patient' });
          const messages: { id: string; sender: Sender }[] = [{ id: 'M000', sender: 'patient' }];
          let readUpTo = -1; // index of the last message covered by a read
          steps.forEach((step, i) => {
            const id = `M${String(i + 1).padStart(3, '0')}`;
            if (step === 'patient') {
              thread = recordMessage(addPatientMessage(thread, at(i + 1)).thread, { id, sender: 'patient' });
              messages.push({ id, sender: 'patient' });
            } else if (step === 'reply') {
              const { thread: next } = addPractitionerMessage(thread, {
                replyPolicy: 'until_closed',
                markTreated: false,
                now: at(i + 1),
              });
              readUpTo = messages.length - 1; // a reply reads what was there before it
              thread = recordMessage(next, { id, sender: 'practitioner' });
              messages.push({ id, sender: 'practitioner' });
            } else {
              thread = readByPractitioner(thread, at(i + 1)).thread;
              readUpTo = messages.length - 1;
            }
          });
          const seenIndex = pick % messages.length;
          const seenId = messages[seenIndex]?.id as string;
          const newerPatient = messages.slice(seenIndex + 1).some((m) => m.sender === 'patient');
          expect(unseenPatientMessages(thread, { lastSeenMessageId: seenId })).toBe(
            newerPatient ? 'unseen' : 'none',
          );
          const unreadPatient = messages.slice(readUpTo + 1).some((m) => m.sender === 'patient');
          expect(unseenPatientMessages(thread, { lastRead: true })).toBe(unreadPatient ? 'unseen' : 'none');
        },
      ),
    );
  });
});

describe('recordMessage', () => {
  it('keeps the newest message id, and the newest patient message id only for patient messages', () => {
    const thread = openPractitionerThread({ ...base, replyPolicy: 'until_closed' }).thread;
    expect(thread).toMatchObject({ lastMessageId: null, lastPatientMessageId: null });
    const first = recordMessage(thread, { id: 'M1', sender: 'practitioner' });
    expect(first).toMatchObject({ lastMessageId: 'M1', lastPatientMessageId: null });
    const second = recordMessage(first, { id: 'M2', sender: 'patient' });
    expect(second).toMatchObject({ lastMessageId: 'M2', lastPatientMessageId: 'M2' });
    expect(recordMessage(second, { id: 'M3', sender: 'practitioner' })).toMatchObject({
      lastMessageId: 'M3',
      lastPatientMessageId: 'M2',
    });
  });
});

describe('idAfter: message ids only grow within a thread', () => {
  it('sorts after the previous id even when the clock went back (another instance, the local clock)', () => {
    const late = ulidGenerator(fixedClock('2026-05-14T10:00:00.000Z')).next();
    const clock = fixedClock('2026-05-14T09:00:00.000Z');
    const ids = ulidGenerator(clock);
    expect(ids.next() < late).toBe(true);
    const next = idAfter(ids, late);
    expect(next > late).toBe(true);
    expect(idAfter(ids, next) > next).toBe(true);
    expect(next).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('is the generator’s own id when it already sorts after (or there is none)', () => {
    const ids = ulidGenerator(fixedClock(T0));
    const first = idAfter(ids, null);
    const second = idAfter(ids, first);
    expect(second > first).toBe(true);
    expect(second.slice(0, 10)).toBe(first.slice(0, 10)); // same millisecond: the monotonic factory
  });
});

describe('thread page keys', () => {
  it('THREAD sorts after every message key, so newest first from the top gives the thread item first', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/), (id) => {
        const { sk } = keys.message('t1', id);
        expect(sk < THREAD_SK).toBe(true);
        expect(sk >= threadPageRange.all.from && sk <= threadPageRange.all.to).toBe(true);
        expect(messageIdOfSk(sk)).toBe(id);
        const after = threadPageRange.messagesFrom(id);
        expect(sk >= after.from && sk <= after.to).toBe(true);
        expect(THREAD_SK > after.to).toBe(true);
      }),
    );
    expect(messageIdOfSk(THREAD_SK)).toBeNull();
    expect(messageIdOfSk(undefined)).toBeNull();
  });
});

describe('schemas', () => {
  it('treat: an empty body, or a lastSeenMessageId with the id format; nothing else', () => {
    expect(treatSchema.parse({})).toEqual({});
    expect(treatSchema.parse({ lastSeenMessageId: '01KRJQZT00A4X36JEQ8DXF2SB6' })).toEqual({
      lastSeenMessageId: '01KRJQZT00A4X36JEQ8DXF2SB6',
    });
    for (const body of [
      { lastSeenMessageId: '' },
      { lastSeenMessageId: 'a/b' },
      { lastSeenMessageId: 'x'.repeat(129) },
      { lastSeenMessageId: 42 },
      { lastSeenMessageId: null },
      { lastSeenMessageId: 'M1', force: true },
    ]) {
      expect(treatSchema.safeParse(body).success, JSON.stringify(body)).toBe(false);
    }
  });

  it('reply: lastSeenMessageId only with markTreated: true', () => {
    expect(replySchema.safeParse({ body: 'x', markTreated: true, lastSeenMessageId: 'M1' }).success).toBe(
      true,
    );
    for (const markTreated of [false, undefined]) {
      const result = replySchema.safeParse({ body: 'x', markTreated, lastSeenMessageId: 'M1' });
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((i) => i.path)).toEqual([['lastSeenMessageId']]);
    }
  });

  it('thread page: limit 1–100, 50 by default, and an optional cursor; nothing else', () => {
    expect(threadPageQuerySchema.parse({})).toEqual({ limit: 50 });
    expect(threadPageQuerySchema.parse({ limit: '1', cursor: 'abc' })).toEqual({ limit: 1, cursor: 'abc' });
    expect(threadPageQuerySchema.parse({ limit: '100' })).toEqual({ limit: 100 });
    for (const query of [
      { limit: '0' },
      { limit: '101' },
      { limit: '-1' },
      { limit: '1.5' },
      { limit: 'abc' },
      { cursor: '' },
      { cursor: 'x'.repeat(2049) },
      { page: '2' },
    ]) {
      expect(threadPageQuerySchema.safeParse(query).success, JSON.stringify(query)).toBe(false);
    }
  });
});

describe('THREAD_CHANGED over HTTP', () => {
  it('is a 409 naming the newer messages', () => {
    const response = toErrorResponse(new ThreadChanged(['M2', 'M3']));
    expect(response?.statusCode).toBe(409);
    expect(JSON.parse(response?.body ?? '{}')).toEqual({
      error: {
        code: 'THREAD_CHANGED',
        message: expect.any(String),
        details: { newerMessageIds: ['M2', 'M3'] },
      },
    });
  });
});
