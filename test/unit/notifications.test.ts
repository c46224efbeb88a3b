import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DIGEST_DUE_SHARDS,
  itemKindOf,
  keys,
  NOTIFY_PENDING_SHARDS,
  notificationQueueKeys,
} from '../../shared/db/keys.ts';
import {
  type DigestState,
  desiredDigestIndex,
  digestIndexSortKey,
  isDigestDue,
  NEVER_SENT,
  NOTIFICATION_MODES,
  PATIENT_NOTIFICATION_SUBJECT,
  practitionerRecipient,
  renderPatientNotification,
  renderPractitionerDigest,
  shiftIso,
  weekFiguresLine,
} from '../../shared/domain/notifications.ts';
import { notificationsPatchSchema, settingsPatchSchema } from '../../shared/http/practitioner-schemas.ts';
import { digestEntryOf, digestStateOf } from '../../shared/repositories/notification-repository.ts';

const state = (over: Partial<DigestState> = {}): DigestState => ({
  untreatedMessages: 0,
  mode: 'threshold',
  threshold: 4,
  eligibleAt: null,
  ...over,
});

describe('who is due the untreated digest', () => {
  it('is due exactly in threshold mode at or over the threshold', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 50 }),
        fc.constantFrom(...NOTIFICATION_MODES),
        (untreatedMessages, threshold, mode) => {
          const due = isDigestDue({ untreatedMessages, threshold, mode });
          expect(due).toBe(mode === 'threshold' && untreatedMessages >= threshold);
          expect(desiredDigestIndex(state({ untreatedMessages, threshold, mode }), 'dr-1') !== null).toBe(
            due,
          );
        },
      ),
    );
  });

  it('the sweep-index sort key starts with the week end, so `<= now` reads only eligible practitioners', () => {
    expect(digestIndexSortKey(null, 'dr-1')).toBe(`${NEVER_SENT}#dr-1`);
    const eligibleAt = '2026-05-21T08:00:00.000Z';
    const key = digestIndexSortKey(eligibleAt, 'dr-1');
    expect(key <= notificationQueueKeys.upTo('2026-05-21T08:00:00.000Z')).toBe(true);
    expect(key <= notificationQueueKeys.upTo('2026-05-21T07:59:59.999Z')).toBe(false);
    expect(`${NEVER_SENT}#dr-1` <= notificationQueueKeys.upTo('2026-01-01T00:00:00.000Z')).toBe(true);
  });

  it('reads the mirrors on the counters item with the defaults when they are missing', () => {
    expect(digestStateOf(undefined)).toEqual(state());
    expect(
      digestStateOf({
        untreatedMessages: 7,
        notifyMode: 'every_message',
        notifyThreshold: 2,
        digestEligibleAt: '2026-05-21T08:00:00.000Z',
      }),
    ).toEqual({
      untreatedMessages: 7,
      mode: 'every_message',
      threshold: 2,
      eligibleAt: '2026-05-21T08:00:00.000Z',
    });
  });

  it('the sweep-queue entry is its own item, apart from the counters the thread transactions ADD to', () => {
    expect(keys.digestDue('dr-1')).toEqual({ pk: 'PRAC#dr-1', sk: 'DIGEST_DUE' });
    expect(keys.digestDue('dr-1')).not.toEqual(keys.practitionerCounters('dr-1'));
    expect(itemKindOf(keys.digestDue('dr-1'))).toBe('digestDue');
    expect(itemKindOf(keys.practitionerCounters('dr-1'))).toBe('practitionerCounters');
    expect(digestEntryOf(undefined)).toBeNull();
    expect(digestEntryOf({ ...keys.digestDue('dr-1'), gsi6pk: 'DIGEST_DUE#3', gsi6sk: 'x#dr-1' })).toBe(
      'x#dr-1',
    );
  });

  it('spreads both queues over their shards by a stable hash of the practitioner', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (id) => {
        const digest = notificationQueueKeys.digestDue(id, digestIndexSortKey(null, id));
        expect(notificationQueueKeys.digestDueShards()).toContain(digest.gsi6pk);
        expect(notificationQueueKeys.digestDue(id, 'later').gsi6pk).toBe(digest.gsi6pk);
        const pending = notificationQueueKeys.pendingSummary(id, '2026-05-14T08:15:00.000Z');
        expect(notificationQueueKeys.pendingSummaryShards()).toContain(pending.gsi6pk);
        expect(pending.gsi6sk).toBe(`2026-05-14T08:15:00.000Z#${id}`);
      }),
    );
    const ids = Array.from({ length: 1000 }, (_, i) => `dr-${i}`);
    const digestShards = new Set(ids.map((id) => notificationQueueKeys.digestDue(id, 'x').gsi6pk));
    const pendingShards = new Set(ids.map((id) => notificationQueueKeys.pendingSummary(id, 'x').gsi6pk));
    expect(digestShards.size).toBe(DIGEST_DUE_SHARDS);
    expect(pendingShards.size).toBe(NOTIFY_PENDING_SHARDS);
  });

  it('shifts ISO times by a duration', () => {
    expect(shiftIso('2026-05-14T08:00:00.000Z', 7 * 24 * 3600 * 1000)).toBe('2026-05-21T08:00:00.000Z');
    expect(shiftIso('2026-05-14T08:00:00.000Z', -15 * 60 * 1000)).toBe('2026-05-14T07:45:00.000Z');
  });
});

describe('where practitioner emails go', () => {
  it('uses the notification address, else the settings email, else nobody', () => {
    expect(practitionerRecipient({ email: 'a@x.fr', notifications: { email: 'b@x.fr' } })).toBe('b@x.fr');
    expect(practitionerRecipient({ email: 'a@x.fr', notifications: { email: null } })).toBe('a@x.fr');
    expect(practitionerRecipient({ email: null, notifications: { email: null } })).toBeNull();
  });
});

describe('email contents', () => {
  it('the digest says how many messages wait and links to the inbox, in French', () => {
    const email = renderPractitionerDigest({
      untreatedMessages: 4,
      mode: 'threshold',
      appBaseUrl: 'https://app.example/',
    });
    expect(email.subject).toBe('Messagerie patients : 4 messages de patients non traités');
    expect(email.text).toContain('Vous avez 4 messages de patients non traités');
    expect(email.text).toContain('https://app.example/messagerie?filtre=non-traites');
    expect(email.text).toContain('au plus une fois par semaine');
    expect(email.html).toContain('href="https://app.example/messagerie?filtre=non-traites"');
    const one = renderPractitionerDigest({
      untreatedMessages: 1,
      mode: 'every_message',
      appBaseUrl: 'https://a',
    });
    expect(one.subject).toBe('Messagerie patients : 1 message de patient non traité');
    expect(one.text).toContain('quart d’heure');
  });

  it('the patient email is neutral: no practitioner, no specialty, no health content; a link to the thread', () => {
    const email = renderPatientNotification({ threadId: 'T-1', appBaseUrl: 'https://app.example' });
    expect(email.subject).toBe('Nouveau message sur votre messagerie santé');
    expect(email.subject).toBe(PATIENT_NOTIFICATION_SUBJECT);
    expect(email.text).toContain('Un professionnel de santé vous a écrit');
    expect(email.text).toContain('https://app.example/mes-messages/T-1');
    expect(email.text).toContain('112');
    // Nothing of who wrote: no title, no specialty word.
    for (const part of [email.subject, email.text, email.html]) {
      expect(part).not.toMatch(/\bDr\b|docteur|praticien|médecin|kiné|psych|gynéco|sage-femme/i);
    }
  });

  it('the same email whoever wrote it: the rendering takes no practitioner input at all', () => {
    const a = renderPatientNotification({ threadId: 'T', appBaseUrl: 'https://a' });
    const b = renderPatientNotification({ threadId: 'T', appBaseUrl: 'https://a' });
    expect(a).toEqual(b);
    // @ts-expect-error a practitioner's name is not an input any more (ADR 0010)
    renderPatientNotification({ practitionerName: 'Dr X', threadId: 'T', appBaseUrl: 'https://a' });
  });

  it('renders only what it is given: any text put in a message cannot reach an email', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.string({ minLength: 1, maxLength: 40 }), (n, id) => {
        const digest = renderPractitionerDigest({
          untreatedMessages: n,
          mode: 'threshold',
          appBaseUrl: 'https://a',
        });
        expect(digest.text).toContain(`${n} `);
        const patient = renderPatientNotification({
          threadId: id,
          appBaseUrl: 'https://a',
        });
        expect(patient.text).toContain(encodeURIComponent(id));
      }),
    );
  });
});

describe('notification settings in a PATCH', () => {
  it('accepts any subset of mode, threshold (1–50) and email', () => {
    expect(notificationsPatchSchema.parse({ threshold: 1 })).toEqual({ threshold: 1 });
    expect(notificationsPatchSchema.parse({ threshold: 50, mode: 'off' })).toEqual({
      threshold: 50,
      mode: 'off',
    });
    expect(notificationsPatchSchema.parse({ email: null })).toEqual({ email: null });
    expect(settingsPatchSchema.parse({ notifications: { mode: 'every_message' } })).toEqual({
      notifications: { mode: 'every_message' },
    });
  });

  it.each([
    [{ threshold: 0 }],
    [{ threshold: 51 }],
    [{ threshold: 4.5 }],
    [{ threshold: '4' }],
    [{ mode: 'daily' }],
    [{ email: 'not-an-email' }],
    [{ unknown: true }],
    [{}],
  ])('refuses %j', (notifications) => {
    expect(settingsPatchSchema.safeParse({ notifications }).success).toBe(false);
  });
});

describe('the weekly digest’s line of statistics (SPEC 11.5)', () => {
  it('gives counts only, in French, and is left out of a week with nothing', () => {
    expect(weekFiguresLine({ received: 12, treated: 9, within48h: 7 })).toBe(
      'Sur les 7 derniers jours : 12 demandes reçues, 9 traitées, dont 7 en moins de 48 heures.',
    );
    expect(weekFiguresLine({ received: 1, treated: 0, within48h: 0 })).toBe(
      'Sur les 7 derniers jours : 1 demande reçue, 0 traitée.',
    );
    const base = { untreatedMessages: 6, mode: 'threshold' as const, appBaseUrl: 'https://app.example' };
    const withWeek = renderPractitionerDigest({
      ...base,
      lastWeek: { received: 12, treated: 9, within48h: 7 },
    });
    expect(withWeek.text).toContain('12 demandes reçues, 9 traitées, dont 7 en moins de 48 heures.');
    expect(withWeek.html).toContain('12 demandes reçues');
    const quiet = renderPractitionerDigest({ ...base, lastWeek: { received: 0, treated: 0, within48h: 0 } });
    expect(quiet.text).toBe(renderPractitionerDigest(base).text);
  });
});
