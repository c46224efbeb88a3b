import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cooldownEndsAt,
  isMessagingOpen,
  type MessagingControls,
  type PatientStanding,
  REFUSAL_TEXTS,
  refusalError,
  START_REQUEST_PRECEDENCE,
  startRequestRefusal,
  WRITE_IN_THREAD_PRECEDENCE,
  writeInThreadRefusal,
} from '../../shared/domain/messaging-rules.ts';
import { DEFAULT_SETTINGS } from '../../shared/domain/settings.ts';
import { openPatientRequest, openPractitionerThread } from '../../shared/domain/thread-rules.ts';
import type { ReplyPolicy, Thread } from '../../shared/domain/types.ts';

const NOW = new Date('2026-05-14T08:00:00.000Z'); // 10:00 in Paris
const open: MessagingControls = { ...DEFAULT_SETTINGS };
const noAttributes = {
  primaryCare: false,
  ald: false,
  chronic: false,
  pregnancyFollowUp: false,
  needsSupport: false,
};
const record = { blocked: false, allowed: false, attributes: noAttributes };
const inBase: PatientStanding = { record, lastRequestTreatedAt: null };

const thread = (policy: ReplyPolicy | 'request', status: 'open' | 'closed' = 'open'): Thread => {
  const input = {
    id: 't1',
    practitionerId: 'dr',
    patientId: 'pat',
    appointmentId: null,
    now: NOW.toISOString(),
  };
  const t =
    policy === 'request'
      ? openPatientRequest(input).thread
      : openPractitionerThread({ ...input, replyPolicy: policy }).thread;
  return { ...t, status };
};

describe('start a request: each rule alone', () => {
  it('everything open: no refusal', () => {
    expect(startRequestRefusal(open, inBase, NOW)).toBeNull();
  });

  it('no record: NOT_IN_PATIENT_BASE', () => {
    expect(startRequestRefusal(open, { record: null, lastRequestTreatedAt: null }, NOW)).toEqual({
      code: 'NOT_IN_PATIENT_BASE',
      message: REFUSAL_TEXTS.NOT_IN_PATIENT_BASE,
    });
  });

  it('blocked: PATIENT_BLOCKED with a polite French text', () => {
    const refusal = startRequestRefusal(open, { ...inBase, record: { ...record, blocked: true } }, NOW);
    expect(refusal?.code).toBe('PATIENT_BLOCKED');
    expect(refusal?.message).toMatch(/Votre praticien/);
  });

  it('closed with an absence message: that message, verbatim', () => {
    const absenceMessage =
      'Je suis en congés jusqu’au 24 août. En cas de besoin : Dr Durand, 01 02 03 04 05.';
    const refusal = startRequestRefusal(
      { ...open, inboxOpen: false, absenceMessage, reopensAt: '2026-08-24T06:00:00.000Z' },
      inBase,
      NOW,
    );
    expect(refusal).toEqual({
      code: 'MESSAGING_CLOSED',
      message: absenceMessage,
      details: { reopensAt: '2026-08-24T06:00:00.000Z' },
    });
  });

  it('closed without a message: a default text that says when it reopens, in Paris time', () => {
    const refusal = startRequestRefusal(
      { ...open, inboxOpen: false, reopensAt: '2026-08-24T06:00:00.000Z' },
      inBase,
      NOW,
    );
    expect(refusal?.message).toBe(
      'Votre praticien a temporairement fermé sa messagerie. Elle rouvrira le lundi 24 août 2026 à 8h00.',
    );
  });

  it('a closure whose reopening date has passed counts as open, at the exact moment', () => {
    const controls = { ...open, inboxOpen: false, reopensAt: '2026-05-14T08:00:00.000Z' };
    expect(isMessagingOpen(controls, new Date('2026-05-14T07:59:59.999Z'))).toBe(false);
    expect(isMessagingOpen(controls, NOW)).toBe(true);
    expect(startRequestRefusal(controls, inBase, NOW)).toBeNull();
  });

  it('nobody: NOT_ALLOWED, even for an allowed patient', () => {
    const allowed = { ...inBase, record: { ...record, allowed: true } };
    expect(startRequestRefusal({ ...open, whoCanStartRequests: 'nobody' }, allowed, NOW)?.code).toBe(
      'NOT_ALLOWED',
    );
  });

  it('allowed_patients: allowed on the record, or having an allowed attribute', () => {
    const controls: MessagingControls = {
      ...open,
      whoCanStartRequests: 'allowed_patients',
      allowedAttributes: ['ald', 'primaryCare'],
    };
    expect(startRequestRefusal(controls, inBase, NOW)?.code).toBe('NOT_ALLOWED');
    expect(
      startRequestRefusal(controls, { ...inBase, record: { ...record, allowed: true } }, NOW),
    ).toBeNull();
    const ald = { ...inBase, record: { ...record, attributes: { ...noAttributes, ald: true } } };
    expect(startRequestRefusal(controls, ald, NOW)).toBeNull();
    const chronic = { ...inBase, record: { ...record, attributes: { ...noAttributes, chronic: true } } };
    expect(startRequestRefusal(controls, chronic, NOW)?.code).toBe('NOT_ALLOWED');
  });

  it('cooldown only when enabled, and only until the next local day', () => {
    const treatedToday = { ...inBase, lastRequestTreatedAt: '2026-05-14T07:00:00.000Z' };
    expect(startRequestRefusal(open, treatedToday, NOW)).toBeNull();
    const refusal = startRequestRefusal({ ...open, sameDayCooldown: true }, treatedToday, NOW);
    expect(refusal).toEqual({
      code: 'COOLDOWN',
      message:
        "Votre praticien a traité votre dernière demande aujourd'hui. Vous pourrez lui adresser une nouvelle demande à partir du vendredi 15 mai 2026 à 0h00.",
      details: { retryAfter: '2026-05-14T22:00:00.000Z' },
    });
    expect(
      startRequestRefusal(
        { ...open, sameDayCooldown: true },
        treatedToday,
        new Date('2026-05-14T22:00:00.000Z'),
      ),
    ).toBeNull();
  });
});

describe('cooldown around midnight and daylight-saving changes (Europe/Paris)', () => {
  const controls = { sameDayCooldown: true, timezone: 'Europe/Paris' };
  const endsAt = (treatedAt: string, now: string) =>
    cooldownEndsAt(controls, { lastRequestTreatedAt: treatedAt }, new Date(now))?.toISOString() ?? null;

  it('treated at 23:59 Paris: a new request is possible one minute later', () => {
    expect(endsAt('2026-01-15T22:59:00.000Z', '2026-01-15T22:59:30.000Z')).toBe('2026-01-15T23:00:00.000Z');
    expect(endsAt('2026-01-15T22:59:00.000Z', '2026-01-15T23:00:00.000Z')).toBeNull();
  });

  it('treated at 00:01 Paris: refused for the whole day', () => {
    expect(endsAt('2026-01-15T23:01:00.000Z', '2026-01-16T22:59:59.999Z')).toBe('2026-01-16T23:00:00.000Z');
  });

  it('spring forward: treated on Sunday 29 March 2026 at 10:00 CEST, free at 22:00 UTC', () => {
    expect(endsAt('2026-03-29T08:00:00.000Z', '2026-03-29T21:59:59.999Z')).toBe('2026-03-29T22:00:00.000Z');
    expect(endsAt('2026-03-29T08:00:00.000Z', '2026-03-29T22:00:00.000Z')).toBeNull();
  });

  it('spring forward: treated on Saturday 28 March 23:30 CET, free at 23:00 UTC (not 22:00)', () => {
    expect(endsAt('2026-03-28T22:30:00.000Z', '2026-03-28T22:59:00.000Z')).toBe('2026-03-28T23:00:00.000Z');
  });

  it('fall back: treated on Sunday 25 October 2026 during the repeated hour, free at 23:00 UTC', () => {
    expect(endsAt('2026-10-25T01:30:00.000Z', '2026-10-25T22:59:59.999Z')).toBe('2026-10-25T23:00:00.000Z');
    expect(endsAt('2026-10-25T01:30:00.000Z', '2026-10-25T23:00:00.000Z')).toBeNull();
  });

  it('the text says when, in the practitioner time zone', () => {
    const refusal = startRequestRefusal(
      { ...open, sameDayCooldown: true },
      { ...inBase, lastRequestTreatedAt: '2026-10-25T09:00:00.000Z' },
      new Date('2026-10-25T10:00:00.000Z'),
    );
    expect(refusal?.message).toContain('à partir du lundi 26 octobre 2026 à 0h00');
    expect(refusal?.details).toEqual({ retryAfter: '2026-10-25T23:00:00.000Z' });
  });

  it('another time zone moves the boundary', () => {
    const refusal = startRequestRefusal(
      { ...open, sameDayCooldown: true, timezone: 'America/Martinique' },
      { ...inBase, lastRequestTreatedAt: '2026-05-14T07:00:00.000Z' },
      NOW,
    );
    // Treated at 03:00 on 14 May in Martinique (UTC-4): free at its midnight, 04:00 UTC on the 15th
    // (in Paris the same treat would be free at 22:00 UTC on the 14th).
    expect(refusal?.details).toEqual({ retryAfter: '2026-05-15T04:00:00.000Z' });
  });
});

describe('write in a thread', () => {
  it('the reply policy decides, not whoCanStartRequests nor the cooldown', () => {
    const controls: MessagingControls = {
      ...open,
      whoCanStartRequests: 'nobody',
      sameDayCooldown: true,
    };
    const standing = { ...inBase, lastRequestTreatedAt: '2026-05-14T07:00:00.000Z' };
    expect(writeInThreadRefusal(controls, standing, thread('until_closed'), NOW)).toBeNull();
    expect(writeInThreadRefusal(controls, standing, thread('single'), NOW)).toBeNull();
    expect(writeInThreadRefusal(controls, standing, thread('none'), NOW)?.code).toBe('REPLY_NOT_ALLOWED');
  });

  it('a patient request stays writable while open; closed is closed', () => {
    expect(writeInThreadRefusal(open, inBase, thread('request'), NOW)).toBeNull();
    expect(writeInThreadRefusal(open, inBase, thread('request', 'closed'), NOW)).toMatchObject({
      code: 'THREAD_CLOSED',
      message: REFUSAL_TEXTS.THREAD_CLOSED,
    });
  });
});

/*
 * Precedence, exhaustively: every combination of the conditions (not only
 * pairs) must answer the first code of the documented order among those active.
 */
describe('precedence', () => {
  type StartCondition = (typeof START_REQUEST_PRECEDENCE)[number];
  const startCase = (active: Set<StartCondition>) => {
    const controls: MessagingControls = {
      ...open,
      inboxOpen: !active.has('MESSAGING_CLOSED'),
      whoCanStartRequests: active.has('NOT_ALLOWED') ? 'nobody' : 'all_patients',
      sameDayCooldown: active.has('COOLDOWN'),
    };
    // Not in the base excludes being blocked or stamped (those live on the record).
    const standing: PatientStanding = active.has('NOT_IN_PATIENT_BASE')
      ? { record: null, lastRequestTreatedAt: null }
      : {
          record: { ...record, blocked: active.has('PATIENT_BLOCKED') },
          lastRequestTreatedAt: active.has('COOLDOWN') ? '2026-05-14T07:00:00.000Z' : null,
        };
    return { controls, standing };
  };

  it('start a request: NOT_IN_PATIENT_BASE → PATIENT_BLOCKED → MESSAGING_CLOSED → NOT_ALLOWED → COOLDOWN', () => {
    expect(START_REQUEST_PRECEDENCE).toEqual([
      'NOT_IN_PATIENT_BASE',
      'PATIENT_BLOCKED',
      'MESSAGING_CLOSED',
      'NOT_ALLOWED',
      'COOLDOWN',
    ]);
    fc.assert(
      fc.property(fc.subarray([...START_REQUEST_PRECEDENCE]), (list) => {
        const active = new Set(list);
        const { controls, standing } = startCase(active);
        const refusal = startRequestRefusal(controls, standing, NOW);
        const expected = START_REQUEST_PRECEDENCE.find((code) => active.has(code)) ?? null;
        expect(refusal?.code ?? null).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('write in a thread: PATIENT_BLOCKED → MESSAGING_CLOSED → THREAD_CLOSED → REPLY_NOT_ALLOWED', () => {
    expect(WRITE_IN_THREAD_PRECEDENCE).toEqual([
      'PATIENT_BLOCKED',
      'MESSAGING_CLOSED',
      'THREAD_CLOSED',
      'REPLY_NOT_ALLOWED',
    ]);
    fc.assert(
      fc.property(fc.subarray([...WRITE_IN_THREAD_PRECEDENCE]), (list) => {
        const active = new Set(list);
        const controls = { ...open, inboxOpen: !active.has('MESSAGING_CLOSED') };
        const standing = { ...inBase, record: { ...record, blocked: active.has('PATIENT_BLOCKED') } };
        const t = thread(
          active.has('REPLY_NOT_ALLOWED') ? 'none' : 'until_closed',
          active.has('THREAD_CLOSED') ? 'closed' : 'open',
        );
        const expected = WRITE_IN_THREAD_PRECEDENCE.find((code) => active.has(code)) ?? null;
        expect(writeInThreadRefusal(controls, standing, t, NOW)?.code ?? null).toBe(expected);
      }),
      { numRuns: 100 },
    );
  });
});

describe('refusalError', () => {
  it('carries the same code, text and details as the refusal', () => {
    const refusals = [
      startRequestRefusal(open, { record: null, lastRequestTreatedAt: null }, NOW),
      startRequestRefusal({ ...open, inboxOpen: false, absenceMessage: 'En congés' }, inBase, NOW),
      startRequestRefusal(
        { ...open, sameDayCooldown: true },
        { ...inBase, lastRequestTreatedAt: NOW.toISOString() },
        NOW,
      ),
      writeInThreadRefusal(open, inBase, thread('none'), NOW),
    ];
    for (const refusal of refusals) {
      if (!refusal) throw new Error('expected a refusal');
      const error = refusalError(refusal);
      expect(error.code).toBe(refusal?.code);
      expect(error.message).toBe(refusal?.message);
      expect(error.details).toEqual(refusal?.details);
    }
  });
});
