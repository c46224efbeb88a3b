/**
 * Practice teams over HTTP against the local stack (SPEC 11.2, issue 15's "done
 * when"): a practitioner delegates `inbox` to a secretary, who lists the inbox,
 * answers with a template (the patient sees the practice's message signed by the
 * secretary), assigns the thread to the practitioner; without `patients` a block
 * is refused; once revoked, every call is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, startTestApi, type TestApi } from '../support/index.ts';

let t: TestApi;
let doc: ApiClient;
let pat: ApiClient;
let secretary: ApiClient;
let threadId: string;

const AS_DOC = { headers: { 'On-Behalf-Of': 'dr-team' } };

beforeAll(async () => {
  t = await startTestApi();
  doc = await t.as('dr-team', 'practitioner');
  pat = await t.as('pat-team', 'patient');
  secretary = await t.as('asst-sophie', 'assistant');
  await doc.put('/v1/practitioner/patients/pat-team', { firstName: 'Camille', lastName: 'Durand' });
  const started = await pat.post('/v1/patient/threads', {
    practitionerId: 'dr-team',
    body: 'Bonjour, puis-je avoir un renouvellement ?',
  });
  expect(started.status).toBe(201);
  threadId = started.body.thread.id;
});
afterAll(() => t?.stop());

describe('a secretary works the inbox under a grant', () => {
  it('is refused everything before the practitioner delegates', async () => {
    const res = await secretary.get('/v1/practitioner/threads', AS_DOC);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    expect((await secretary.get('/v1/practitioner/threads')).status).toBe(403);
  });

  it('the practitioner delegates inbox; both sides list the grant', async () => {
    const granted = await doc.put('/v1/practitioner/delegates/asst-sophie', {
      displayName: 'Sophie (secrétariat)',
      scopes: ['inbox'],
    });
    expect(granted.status).toBe(201);
    expect(granted.body).toMatchObject({ assistantId: 'asst-sophie', scopes: ['inbox'], notify: false });
    const again = await doc.put('/v1/practitioner/delegates/asst-sophie', {
      displayName: 'Sophie (secrétariat)',
      scopes: ['inbox'],
    });
    expect(again.status).toBe(200);
    expect((await doc.get('/v1/practitioner/delegates')).body.items).toEqual([again.body]);
    const mine = await secretary.get('/v1/assistant/practitioners');
    expect(mine.body).toEqual({
      items: [
        { practitionerId: 'dr-team', displayName: 'Sophie (secrétariat)', scopes: ['inbox'], notify: false },
      ],
      nextCursor: null,
    });
  });

  it('refuses bad grants and keeps the delegation routes for the practitioner alone', async () => {
    const bad = await doc.put('/v1/practitioner/delegates/asst-sophie', {
      displayName: 'X',
      scopes: ['inbox', 'admin'],
    });
    expect(bad.status).toBe(400);
    const extra = await doc.put('/v1/practitioner/delegates/asst-sophie', {
      displayName: 'X',
      scopes: ['inbox'],
      role: 'owner',
    });
    expect(extra.status).toBe(400);
    const widen = await secretary.put(
      '/v1/practitioner/delegates/asst-sophie',
      { displayName: 'Sophie', scopes: ['inbox', 'patients', 'settings'] },
      AS_DOC,
    );
    expect(widen.status).toBe(403);
    expect((await secretary.get('/v1/practitioner/delegates', AS_DOC)).status).toBe(403);
    expect((await doc.get('/v1/assistant/practitioners')).status).toBe(403);
  });

  it('lists the inbox and answers with a template, signed as the practice’s secretary', async () => {
    const inbox = await secretary.get('/v1/practitioner/threads', {
      ...AS_DOC,
      query: { filter: 'untreated' },
    });
    expect(inbox.status).toBe(200);
    expect(inbox.body.items.map((thread: { id: string }) => thread.id)).toEqual([threadId]);
    const template = await doc.post('/v1/practitioner/templates', {
      name: 'Renouvellement',
      body: 'Bonjour {{patient.firstName}}, votre ordonnance est prête au secrétariat.',
    });
    expect(template.status).toBe(201);
    const reply = await secretary.post(
      `/v1/practitioner/threads/${threadId}/messages`,
      { templateId: template.body.id },
      AS_DOC,
    );
    expect(reply.status).toBe(201);
    const author = { role: 'assistant', id: 'asst-sophie', displayName: 'Sophie (secrétariat)' };
    expect(reply.body.message).toMatchObject({ sender: 'practitioner', author });

    const patientView = await pat.get(`/v1/patient/threads/${threadId}`);
    const last = patientView.body.messages.at(-1);
    expect(last).toMatchObject({ sender: 'practitioner', author, body: expect.stringContaining('Camille') });
    const doctorView = await doc.get(`/v1/practitioner/threads/${threadId}`);
    expect(doctorView.body.messages.at(-1).author).toEqual(author);
    // The patient's own message has no author; the practitioner's own would not either.
    expect(patientView.body.messages[0].author).toBeUndefined();

    const trail = await doc.get(`/v1/practitioner/threads/${threadId}/audit`);
    const sent = trail.body.items.filter((entry: { action: string }) => entry.action === 'message.sent');
    expect(sent.at(-1).actor).toEqual({ role: 'assistant', id: 'asst-sophie', onBehalfOf: 'dr-team' });
  });

  it('triages: assigns to herself, then to the practitioner, who finds it under assignee=me and treats it', async () => {
    const assign = (assigneeId: string | null) =>
      secretary.put(`/v1/practitioner/threads/${threadId}/assignee`, { assigneeId }, AS_DOC);
    const stranger = await assign('asst-unknown');
    expect(stranger.status).toBe(400);
    expect(stranger.body.error.code).toBe('VALIDATION_ERROR');
    expect((await assign('asst-sophie')).body.thread.assigneeId).toBe('asst-sophie');
    const mine = await secretary.get('/v1/practitioner/threads', { ...AS_DOC, query: { assignee: 'me' } });
    expect(mine.body.items.map((thread: { id: string }) => thread.id)).toEqual([threadId]);
    expect((await secretary.get('/v1/practitioner/summary', AS_DOC)).body.assignedToMe).toBe(1);
    expect((await doc.get('/v1/practitioner/summary')).body.assignedToMe).toBeUndefined();

    expect((await assign('dr-team')).body.thread.assigneeId).toBe('dr-team');
    expect((await secretary.get('/v1/practitioner/summary', AS_DOC)).body.assignedToMe).toBe(0);
    expect((await doc.get('/v1/practitioner/threads', { query: { assignee: 'none' } })).body.items).toEqual(
      [],
    );
    const forDoctor = await doc.get('/v1/practitioner/threads', { query: { assignee: 'me' } });
    expect(forDoctor.body.items).toEqual([expect.objectContaining({ id: threadId, assigneeId: 'dr-team' })]);
    const bad = await doc.get('/v1/practitioner/threads', { query: { assignee: 'me', filter: 'closed' } });
    expect(bad.status).toBe(400);

    const seen = await doc.get(`/v1/practitioner/threads/${threadId}`);
    expect(seen.body.thread.assigneeId).toBe('dr-team');
    const treated = await doc.post(`/v1/practitioner/threads/${threadId}/treat`, {
      lastSeenMessageId: seen.body.messages.at(-1).id,
    });
    expect(treated.status).toBe(200);
    // Treated: out of the open inbox, so out of every assignee's list.
    expect((await doc.get('/v1/practitioner/threads', { query: { assignee: 'me' } })).body.items).toEqual([]);
    const trail = await doc.get(`/v1/practitioner/threads/${threadId}/audit`);
    const assigned = trail.body.items.filter(
      (entry: { action: string }) => entry.action === 'thread.assigned',
    );
    expect(assigned.map((entry: { details: unknown }) => entry.details)).toEqual([
      { assigneeId: 'asst-sophie' },
      { assigneeId: 'dr-team' },
    ]);
  });

  it('finds nothing of another practitioner’s, even naming them (no grant: 403, never their data)', async () => {
    const other = await t.as('dr-other', 'practitioner');
    await other.put('/v1/practitioner/patients/pat-team', { firstName: 'C', lastName: 'D' });
    const res = await secretary.get('/v1/practitioner/threads', { headers: { 'On-Behalf-Of': 'dr-other' } });
    expect(res.status).toBe(403);
    // Under dr-team's grant, another practitioner's thread is simply not found.
    const theirs = await other.post('/v1/practitioner/threads', { patientId: 'pat-team', body: 'Bonjour' });
    expect(theirs.status).toBe(201);
    const peek = await secretary.get(`/v1/practitioner/threads/${theirs.body.thread.id}`, AS_DOC);
    expect(peek.status).toBe(404);
  });

  it('without `patients`, blocking a patient is refused', async () => {
    const block = await secretary.put('/v1/practitioner/patients/pat-team/block', {}, AS_DOC);
    expect(block.status).toBe(403);
    expect(block.body.error.code).toBe('FORBIDDEN');
    expect((await secretary.get('/v1/practitioner/settings', AS_DOC)).status).toBe(403);
    expect((await doc.get('/v1/practitioner/patients/pat-team')).body.blocked).toBe(false);
  });

  it('after revocation, every call is refused at once', async () => {
    expect((await doc.delete('/v1/practitioner/delegates/asst-sophie')).status).toBe(204);
    expect((await doc.delete('/v1/practitioner/delegates/asst-sophie')).status).toBe(404);
    const calls = [
      secretary.get('/v1/practitioner/threads', AS_DOC),
      secretary.get(`/v1/practitioner/threads/${threadId}`, AS_DOC),
      secretary.post(`/v1/practitioner/threads/${threadId}/messages`, { body: 'Encore moi' }, AS_DOC),
      secretary.post(`/v1/practitioner/threads/${threadId}/treat`, {}, AS_DOC),
      secretary.get('/v1/practitioner/summary', AS_DOC),
      secretary.get('/v1/practitioner/templates', AS_DOC),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
    expect((await secretary.get('/v1/assistant/practitioners')).body.items).toEqual([]);
    const view = await doc.get(`/v1/practitioner/threads/${threadId}`);
    expect(view.body.messages).toHaveLength(2);
  });
});
