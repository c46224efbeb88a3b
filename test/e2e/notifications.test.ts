import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../shared/db/keys.ts';
import { emailContent, settledEmailsTo, startTestApi, type TestApi } from '../support/index.ts';

/**
 * The "done when", over HTTP against the local stack: four patient
 * messages put exactly one email in the local SES inbox, more add none that
 * week, and each practitioner message gives the patient a content-free email.
 * The real RULES route the events to the real consumers; POST /local/sweep runs
 * the real schedule.
 */
const TEXTS = [
  'Douleur thoracique depuis hier soir',
  'Toujours essoufflé ce matin',
  'La douleur irradie dans le bras gauche',
  'J’ai pris deux comprimés de trinitrine',
  'Cela ne passe pas',
  'Je vais aux urgences ?',
];
const REPLY = 'Appelez le 15 immédiatement, ne prenez pas la voiture';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t?.stop());

/** The emails to an address once deliveries settled, waiting up to 10 s for `expected` of them. */
const mailTo = (address: string, expected = 0) => settledEmailsTo(t, address, expected);

describe('notifications over HTTP', () => {
  it('4 messages → one digest, more → none, the sweep adds none that week; patients get a content-free email', async () => {
    const doc = await t.as('dr-notif', 'practitioner');
    // The patient's own address, verified in their account: the only one they are emailed at (ADR 0010).
    const pat = await t.as('pat-notif', 'patient', { email: 'ines.moreau@example.org' });

    const settings = await doc.patch('/v1/practitioner/settings', {
      displayName: 'Dr Lefèvre',
      email: 'dr.lefevre@cabinet.example',
    });
    expect(settings.status).toBe(200);
    expect(settings.body.notifications).toEqual({
      mode: 'threshold',
      threshold: 4,
      email: 'dr.lefevre@cabinet.example',
    });
    expect(
      (
        await doc.put('/v1/practitioner/patients/pat-notif', {
          firstName: 'Inès',
          lastName: 'Moreau',
          // Typed by the practitioner (here with a typo): contact information only, never emailed.
          email: 'ines.moreau@exemple.org',
        })
      ).status,
    ).toBe(201);

    const started = await pat.post('/v1/patient/threads', { practitionerId: 'dr-notif', body: TEXTS[0] });
    expect(started.status).toBe(201);
    const threadId: string = started.body.thread.id;
    for (const body of TEXTS.slice(1, 3)) {
      expect((await pat.post(`/v1/patient/threads/${threadId}/messages`, { body })).status).toBe(201);
    }
    expect(await mailTo('dr.lefevre@cabinet.example')).toHaveLength(0);

    expect((await pat.post(`/v1/patient/threads/${threadId}/messages`, { body: TEXTS[3] })).status).toBe(201);
    const digests = await mailTo('dr.lefevre@cabinet.example', 1);
    expect(digests).toHaveLength(1);
    expect(digests[0]?.subject).toBe('Messagerie patients : 4 messages de patients non traités');
    expect(digests[0]?.body.text).toContain('/messagerie?filtre=non-traites');

    for (const body of TEXTS.slice(4)) {
      expect((await pat.post(`/v1/patient/threads/${threadId}/messages`, { body })).status).toBe(201);
    }
    expect(await mailTo('dr.lefevre@cabinet.example')).toHaveLength(1);

    const sweep = await t.api.post('/local/sweep');
    expect(sweep.status).toBe(200);
    expect(sweep.body).toMatchObject({ schedule: 'untreated-sweep', target: 'untreated-sweep' });
    expect(sweep.body.result.itemsRead).toBe(0);
    expect(await mailTo('dr.lefevre@cabinet.example')).toHaveLength(1);

    const reply = await doc.post(`/v1/practitioner/threads/${threadId}/messages`, {
      body: REPLY,
      replyPolicy: 'until_closed',
    });
    expect(reply.status).toBe(201);
    const patientEmails = await mailTo('ines.moreau@example.org', 1);
    expect(patientEmails).toHaveLength(1);
    expect(patientEmails[0]?.subject).toBe('Nouveau message sur votre messagerie santé');
    expect(patientEmails[0]?.body.text).not.toContain('Lefèvre');
    expect(patientEmails[0]?.body.text).toContain(`/mes-messages/${threadId}`);

    const second = await doc.post('/v1/practitioner/threads', { patientId: 'pat-notif', body: REPLY });
    expect(second.status).toBe(201);
    expect(await mailTo('ines.moreau@example.org', 2)).toHaveLength(2);
    expect(await mailTo('ines.moreau@exemple.org')).toHaveLength(0);

    const events = t.bus.events.map((e) => e.detailType);
    expect(events.filter((d) => d === 'UntreatedDigestSent')).toHaveLength(1);
    expect(events.filter((d) => d === 'PatientNotified')).toHaveLength(2);
    expect(t.bus.deadLetters).toHaveLength(0);

    // Nothing a patient or practitioner wrote, nor the patient's name, leaves through email.
    for (const email of await t.ses.emails()) {
      const content = emailContent(email);
      for (const text of [...TEXTS, REPLY, 'Inès', 'Moreau']) expect(content).not.toContain(text);
      if (email.destination.to.includes('ines.moreau@example.org')) expect(content).not.toContain('Lefèvre');
    }
  });

  it('a patient is emailed only once a verified email claim was seen on their own requests (ADR 0010)', async () => {
    const doc = await t.as('dr-verified', 'practitioner');
    const address = 'noe.vasseur@example.org';
    expect(
      (
        await doc.put('/v1/practitioner/patients/pat-verified', {
          firstName: 'Noé',
          lastName: 'Vasseur',
          email: address,
        })
      ).status,
    ).toBe(201);
    // Not verified (the claim arrives as the string "false", as the HTTP API passes claims): not recorded.
    const unverified = await t.as('pat-verified', 'patient', { email: address, emailVerified: false });
    const started = await unverified.post('/v1/patient/threads', {
      practitionerId: 'dr-verified',
      body: 'Bonjour',
    });
    expect(started.status).toBe(201);
    const threadId: string = started.body.thread.id;
    const contact = () =>
      t.table.doc.send(
        new GetCommand({
          TableName: t.table.tableName,
          Key: keys.patientContact('pat-verified'),
          ConsistentRead: true,
        }),
      );
    expect((await contact()).Item).toBeUndefined();
    const reply = { body: 'Bien reçu', replyPolicy: 'until_closed' };
    expect((await doc.post(`/v1/practitioner/threads/${threadId}/messages`, reply)).status).toBe(201);
    // The practitioner typed the very same address: still nothing, it is not a verified source.
    expect(await mailTo(address)).toHaveLength(0);

    // Verified now: the patient reads the thread (a patient write path), the address is recorded.
    const verified = await t.as('pat-verified', 'patient', { email: address });
    expect((await verified.post(`/v1/patient/threads/${threadId}/read`)).status).toBe(200);
    expect((await contact()).Item).toMatchObject({ email: address, source: 'identity' });
    expect((await doc.post(`/v1/practitioner/threads/${threadId}/messages`, reply)).status).toBe(201);
    const emails = await mailTo(address, 1);
    expect(emails).toHaveLength(1);
    expect(emails[0]?.subject).toBe('Nouveau message sur votre messagerie santé');
  });

  it('notification settings are patched field by field and validated', async () => {
    const doc = await t.as('dr-settings', 'practitioner');
    expect(
      (await doc.patch('/v1/practitioner/settings', { notifications: { mode: 'every_message' } })).body
        .notifications,
    ).toEqual({ mode: 'every_message', threshold: 4, email: null });
    expect(
      (await doc.patch('/v1/practitioner/settings', { notifications: { threshold: 10 } })).body.notifications,
    ).toEqual({ mode: 'every_message', threshold: 10, email: null });
    const refused = await doc.patch('/v1/practitioner/settings', { notifications: { threshold: 51 } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('VALIDATION_ERROR');
    expect((await doc.get('/v1/practitioner/settings')).body.notifications.threshold).toBe(10);
  });
});
