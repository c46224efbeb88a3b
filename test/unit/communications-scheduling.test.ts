/**
 * Pure rules of group communications and deferred sending: the audience, the
 * end state, the send-time window, the request schemas and the keys.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keys, scheduledMessageKeys } from '../../shared/db/keys.ts';
import {
  communicationWatchdogWorkId,
  finalStatus,
  isInAudience,
} from '../../shared/domain/communications.ts';
import {
  latestSendAt,
  scheduledMessageWorkId,
  sendAtRefusal,
} from '../../shared/domain/scheduled-messages.ts';
import { PATIENT_ATTRIBUTES, type PatientAttributes } from '../../shared/domain/types.ts';
import {
  appointmentMessageSchema,
  communicationSchema,
  replySchema,
  scheduledMessagesQuerySchema,
  startThreadSchema,
} from '../../shared/http/practitioner-schemas.ts';

const attributesArb = fc.record(
  Object.fromEntries(PATIENT_ATTRIBUTES.map((a) => [a, fc.boolean()])) as Record<
    keyof PatientAttributes,
    fc.Arbitrary<boolean>
  >,
);

describe('audience', () => {
  it('everyone for {all: true}; for attributes, exactly the patients having ANY of them', () => {
    fc.assert(
      fc.property(
        attributesArb,
        fc.uniqueArray(fc.constantFrom(...PATIENT_ATTRIBUTES), { minLength: 1 }),
        (attributes, wanted) => {
          expect(isInAudience(attributes, { all: true })).toBe(true);
          expect(isInAudience(attributes, { attributes: wanted })).toBe(wanted.some((a) => attributes[a]));
        },
      ),
    );
  });

  it('ends done unless nobody could be sent it', () => {
    expect(finalStatus({ sent: 0, failed: 0 })).toBe('done');
    expect(finalStatus({ sent: 1, failed: 99 })).toBe('done');
    expect(finalStatus({ sent: 0, failed: 1 })).toBe('failed');
  });
});

describe('sendAt', () => {
  const now = new Date('2026-05-14T08:00:00.000Z');

  it('accepts exactly (now, now + 1 year]', () => {
    const year = latestSendAt(now).getTime() - now.getTime();
    fc.assert(
      fc.property(fc.integer({ min: -10 * year, max: 10 * year }), (offset) => {
        const refusal = sendAtRefusal(new Date(now.getTime() + offset).toISOString(), now);
        if (offset <= 0) expect(refusal).toBe('Must be in the future');
        else if (offset > year) expect(refusal).toBe('Must be at most one year ahead');
        else expect(refusal).toBeNull();
      }),
    );
    expect(sendAtRefusal('2027-05-14T08:00:00.000Z', now)).toBeNull();
    expect(sendAtRefusal('2027-05-14T08:00:00.001Z', now)).not.toBeNull();
    expect(sendAtRefusal('not a date', now)).not.toBeNull();
  });

  it('one year after 29 February is 1 March (the same instant a calendar year later)', () => {
    expect(latestSendAt(new Date('2028-02-29T10:00:00.000Z')).toISOString()).toBe('2029-03-01T10:00:00.000Z');
  });
});

describe('request schemas', () => {
  const audiences: Array<[unknown, boolean]> = [
    [{ all: true }, true],
    [{ attributes: ['ald'] }, true],
    [{ attributes: ['ald', 'chronic', 'primaryCare', 'pregnancyFollowUp', 'needsSupport'] }, true],
    [{ all: false }, false],
    [{}, false],
    [{ attributes: [] }, false],
    [{ attributes: ['ald', 'ald'] }, false],
    [{ attributes: ['vip'] }, false],
    [{ all: true, attributes: ['ald'] }, false],
    [{ all: true, extra: 1 }, false],
    ['all', false],
  ];

  it.each(audiences)('communication audience %j → accepted: %s', (audience, accepted) => {
    expect(communicationSchema.safeParse({ body: 'Bonjour', audience }).success).toBe(accepted);
  });

  it('a communication has a body XOR a templateId, and an audience', () => {
    expect(communicationSchema.safeParse({ templateId: 'tpl-1', audience: { all: true } }).success).toBe(
      true,
    );
    expect(communicationSchema.safeParse({ audience: { all: true } }).success).toBe(false);
    expect(
      communicationSchema.safeParse({ body: 'x', templateId: 'tpl-1', audience: { all: true } }).success,
    ).toBe(false);
    expect(communicationSchema.safeParse({ body: 'x' }).success).toBe(false);
    expect(communicationSchema.safeParse({ body: '  ', audience: { all: true } }).success).toBe(false);
  });

  it('sendAt is an ISO date-time, normalised to UTC, on new threads, replies and the appointment window', () => {
    const parsed = startThreadSchema.parse({
      patientId: 'p',
      body: 'x',
      sendAt: '2026-06-01T09:30:00+02:00',
    });
    expect(parsed.sendAt).toBe('2026-06-01T07:30:00.000Z');
    expect(appointmentMessageSchema.parse({ body: 'x', sendAt: '2026-06-01T07:30:00Z' }).sendAt).toBe(
      '2026-06-01T07:30:00.000Z',
    );
    for (const sendAt of ['tomorrow', '2026-06-01', '2026-02-30T10:00:00Z', 1_780_000_000, null]) {
      expect(replySchema.safeParse({ body: 'x', sendAt }).success, String(sendAt)).toBe(false);
    }
  });

  it('a deferred reply cannot mark the thread treated', () => {
    const result = replySchema.safeParse({ body: 'x', sendAt: '2026-06-01T07:30:00Z', markTreated: true });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path)).toEqual([['markTreated']]);
    expect(
      replySchema.safeParse({ body: 'x', sendAt: '2026-06-01T07:30:00Z', markTreated: false }).success,
    ).toBe(true);
  });

  it('the scheduled list shows pending ones unless asked for all', () => {
    expect(scheduledMessagesQuerySchema.parse({})).toEqual({ status: 'scheduled', limit: 20 });
    expect(scheduledMessagesQuerySchema.parse({ status: 'all', limit: '5' })).toEqual({
      status: 'all',
      limit: 5,
    });
    expect(scheduledMessagesQuerySchema.safeParse({ status: 'sent' }).success).toBe(false);
  });
});

describe('keys', () => {
  it('communication items under the practitioner, recipients in the communication’s own partition', () => {
    expect(keys.communication('dr-1', 'c1')).toEqual({ pk: 'PRAC#dr-1', sk: 'COMM#c1' });
    expect(keys.communicationContent('dr-1', 'c1')).toEqual({ pk: 'PRAC#dr-1', sk: 'COMMTEXT#c1' });
    expect(keys.communicationRecipient('c1', 'pat-1')).toEqual({ pk: 'COMM#c1', sk: 'RCPT#pat-1' });
    // Communications list with begins_with(sk, 'COMM#'): the text items must not match it.
    expect(keys.communicationContent('dr-1', 'c1').sk.startsWith('COMM#')).toBe(false);
  });

  it('scheduled messages under the practitioner, pending ones on gsi5 soonest first', () => {
    expect(keys.scheduledMessage('dr-1', 's1')).toEqual({ pk: 'PRAC#dr-1', sk: 'SCHEDMSG#s1' });
    expect(scheduledMessageKeys.index('dr-1', '2026-06-01T07:30:00.000Z', 's1')).toEqual({
      gsi5pk: 'PRAC#dr-1#SCHEDULED',
      gsi5sk: '2026-06-01T07:30:00.000Z#s1',
    });
  });

  it('one due-work id per scheduled message and per watchdog check', () => {
    expect(scheduledMessageWorkId('dr-1', 's1')).toBe('scheduled-message.dr-1.s1');
    expect(communicationWatchdogWorkId('dr-1', 'c1', 2)).toBe('communication-watchdog.dr-1.c1.2');
  });
});
