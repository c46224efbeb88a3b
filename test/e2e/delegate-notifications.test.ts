import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settledEmailsTo, startTestApi, type TestApi } from '../support/index.ts';

/**
 * Delegates' emails over HTTP against the local stack (SPEC 11.2 part 5, ADR 0015):
 * a secretary asks for the practitioner's emails on her own route, with a token
 * whose email is verified; the practitioner crosses the threshold; the practitioner
 * and the secretary each receive exactly one digest in the local SES inbox, and the
 * sweep adds none that week. A colleague without a verified email gets nothing.
 */
const TEXTS = [
  'Douleur thoracique depuis hier soir',
  'Toujours essoufflé ce matin',
  'La douleur irradie dans le bras gauche',
  'J’ai pris deux comprimés de trinitrine',
];

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t?.stop());

/** The emails to an address once deliveries settled, waiting up to 10 s for `expected` of them. */
const mailTo = (address: string, expected = 0) => settledEmailsTo(t, address, expected);

describe("delegates' notifications over HTTP", () => {
  it('a practitioner crosses the threshold: they and the delegate who asked each get exactly one digest', async () => {
    const doc = await t.as('dr-deleg-notif', 'practitioner');
    const pat = await t.as('pat-deleg-notif', 'patient');
    const secretary = await t.as('asst-claire', 'assistant', { email: 'claire@secretariat.example' });
    const unverified = await t.as('asst-marc', 'assistant', {
      email: 'marc@secretariat.example',
      emailVerified: false,
    });
    expect(
      (
        await doc.patch('/v1/practitioner/settings', {
          displayName: 'Dr Roux',
          email: 'dr.roux@cabinet.example',
        })
      ).status,
    ).toBe(200);
    for (const assistantId of ['asst-claire', 'asst-marc']) {
      const granted = await doc.put(`/v1/practitioner/delegates/${assistantId}`, {
        displayName: 'Secrétariat',
        scopes: ['inbox'],
      });
      expect(granted.status).toBe(201);
      expect(granted.body.notify).toBe(false);
    }

    // The delegate's own choice, on her own route: her token's verified email is recorded.
    const asked = await secretary.put('/v1/assistant/practitioners/dr-deleg-notif/notifications', {
      notify: true,
    });
    expect(asked.status).toBe(200);
    expect(asked.body).toEqual({ practitionerId: 'dr-deleg-notif', notify: true, verifiedAddress: true });
    const noAddress = await unverified.put('/v1/assistant/practitioners/dr-deleg-notif/notifications', {
      notify: true,
    });
    expect(noAddress.body).toEqual({
      practitionerId: 'dr-deleg-notif',
      notify: true,
      verifiedAddress: false,
    });
    // Someone else's practitioner: 404, never 403; a bad body: 400 and nothing changes.
    expect(
      (await secretary.put('/v1/assistant/practitioners/dr-nobody/notifications', { notify: true })).status,
    ).toBe(404);
    expect(
      (await secretary.put('/v1/assistant/practitioners/dr-deleg-notif/notifications', { notify: 'yes' }))
        .status,
    ).toBe(400);
    const listed = await doc.get('/v1/practitioner/delegates');
    expect(listed.body.items.map((d: { notify: boolean }) => d.notify)).toEqual([true, true]);

    expect(
      (await doc.put('/v1/practitioner/patients/pat-deleg-notif', { firstName: 'Inès', lastName: 'Moreau' }))
        .status,
    ).toBe(201);
    const started = await pat.post('/v1/patient/threads', {
      practitionerId: 'dr-deleg-notif',
      body: TEXTS[0],
    });
    expect(started.status).toBe(201);
    for (const body of TEXTS.slice(1)) {
      expect(
        (await pat.post(`/v1/patient/threads/${started.body.thread.id}/messages`, { body })).status,
      ).toBe(201);
    }
    const practitionerDigests = await mailTo('dr.roux@cabinet.example', 1);
    const delegateDigests = await mailTo('claire@secretariat.example', 1);
    expect(practitionerDigests).toHaveLength(1);
    expect(delegateDigests).toHaveLength(1);
    expect(delegateDigests[0]?.subject).toBe('Messagerie patients : messages en attente');
    expect(delegateDigests[0]?.body.text).toContain('/messagerie?filtre=non-traites&pour=dr-deleg-notif');

    // The sweep that week adds nothing for anyone; the unverified colleague never gets one.
    expect((await t.api.post('/local/sweep')).status).toBe(200);
    expect(await mailTo('dr.roux@cabinet.example')).toHaveLength(1);
    expect(await mailTo('claire@secretariat.example')).toHaveLength(1);
    expect(await mailTo('marc@secretariat.example')).toHaveLength(0);
    expect(t.bus.deadLetters).toHaveLength(0);

    for (const email of delegateDigests) {
      const content = `${email.subject}\n${email.body.text ?? ''}\n${email.body.html ?? ''}`;
      for (const text of [...TEXTS, 'pat-deleg-notif', 'Inès', 'Moreau', 'Roux'])
        expect(content).not.toContain(text);
    }
  });
});
