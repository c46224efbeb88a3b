import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, startTestApi, type TestApi } from '../support/index.ts';

/**
 * Issue 3's "done when", over HTTP against the local stack (the real routes,
 * handlers and the real `inbox-reopen` schedule): block and unblock, close with
 * an absence message that reopens by itself, allowed patients, the cooldown,
 * retract and archive; every refusal has its code and text and changes nothing.
 */
let t: TestApi;
let doc: ApiClient;
let pat: ApiClient;
const DOC = 'dr-controls';
const PAT = 'pat-controls';

beforeAll(async () => {
  t = await startTestApi();
  doc = await t.as(DOC, 'practitioner');
  pat = await t.as(PAT, 'patient');
  const record = await doc.put(`/v1/practitioner/patients/${PAT}`, {
    firstName: 'Camille',
    lastName: 'Durand',
    attributes: { ald: true },
  });
  expect(record.status).toBe(201);
});
afterAll(() => t?.stop());

const published = async (detailType: string) => {
  await t.bus.drain();
  return t.bus.events.filter((e) => e.detailType === detailType);
};

const canI = async () => (await pat.get(`/v1/patient/practitioners/${DOC}/messaging`)).body;
const newRequest = (body = 'Bonjour docteur') =>
  pat.post('/v1/patient/threads', { practitionerId: DOC, body });
const summaries = async () => ({
  doc: (await doc.get('/v1/practitioner/summary')).body,
  pat: (await pat.get('/v1/patient/summary')).body,
  threads: (await pat.get('/v1/patient/threads')).body.items.length,
});

describe('practitioner controls over HTTP', () => {
  it('block → refused with code and text, nothing changed; the practitioner still writes; unblock', async () => {
    const blocked = await doc.put(`/v1/practitioner/patients/${PAT}/block`);
    expect(blocked.status).toBe(200);
    expect(blocked.body).toMatchObject({ patientId: PAT, blocked: true, allowed: false });
    expect((await doc.put(`/v1/practitioner/patients/${PAT}/block`)).status).toBe(200);
    expect(await published('PatientBlocked')).toHaveLength(1);

    const answer = await canI();
    expect(answer).toMatchObject({ canStartRequest: false, reason: 'PATIENT_BLOCKED' });
    const before = await summaries();
    const refused = await newRequest();
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({ code: 'PATIENT_BLOCKED', message: answer.message });
    expect(await summaries()).toEqual(before);

    const sent = await doc.post('/v1/practitioner/threads', {
      patientId: PAT,
      body: 'Merci de passer au cabinet.',
      replyPolicy: 'until_closed',
    });
    expect(sent.status).toBe(201);
    const view = await pat.get(`/v1/patient/threads/${sent.body.thread.id}`);
    expect(view.body.thread).toMatchObject({ canReply: false, replyBlockedReason: 'PATIENT_BLOCKED' });
    expect(
      (await pat.post(`/v1/patient/threads/${sent.body.thread.id}/messages`, { body: 'Oui' })).status,
    ).toBe(403);

    const unblocked = await doc.delete(`/v1/practitioner/patients/${PAT}/block`);
    expect(unblocked.body).toMatchObject({ blocked: false });
    expect(await published('PatientUnblocked')).toHaveLength(1);
    expect((await canI()).canStartRequest).toBe(true);
    expect(
      (await pat.post(`/v1/patient/threads/${sent.body.thread.id}/messages`, { body: 'Oui' })).status,
    ).toBe(201);
    expect((await doc.put('/v1/practitioner/patients/nobody/block')).status).toBe(404);
  });

  it('close with an absence message → patients see it → it reopens by itself at the set time', async () => {
    const absenceMessage = 'Je suis en congés. Pour une urgence, appelez le 15.';
    // Ten minutes ahead on the stack's local clock, which the test then advances.
    const reopensAt = new Date((await t.clock.now()).getTime() + 10 * 60_000).toISOString();
    const closed = await doc.patch('/v1/practitioner/settings', {
      inboxOpen: false,
      absenceMessage,
      reopensAt,
    });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ inboxOpen: false, absenceMessage, reopensAt });

    expect(await canI()).toMatchObject({
      canStartRequest: false,
      reason: 'MESSAGING_CLOSED',
      message: absenceMessage,
    });
    const refused = await newRequest();
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({
      code: 'MESSAGING_CLOSED',
      message: absenceMessage,
      details: { reopensAt },
    });

    const past = await doc.patch('/v1/practitioner/settings', { reopensAt: '2020-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(past.body.error.code).toBe('VALIDATION_ERROR');

    // Past the reopening date: the rules open at that exact moment, before any sweep runs.
    const moved = await t.clock.advance('PT10M1S', { runSchedules: false });
    expect(Date.parse(moved.now)).toBeGreaterThan(Date.parse(reopensAt));
    expect((await canI()).canStartRequest).toBe(true);
    const swept = await t.api.post('/local/schedules/inbox-reopen');
    expect(swept.status).toBe(200);
    expect(swept.body.result).toEqual({ due: 1, reopened: 1 });
    expect((await doc.get('/v1/practitioner/settings')).body).toMatchObject({
      inboxOpen: true,
      reopensAt: null,
    });
    expect((await published('InboxOpened')).map((e) => (e.detail as { data: unknown }).data)).toEqual([
      { practitionerId: DOC, openedAt: reopensAt, trigger: 'schedule' },
    ]);
    expect(await published('InboxClosed')).toHaveLength(1);
  });

  it('allowed patients (by attribute or by hand), then the same-day cooldown', async () => {
    const restricted = await doc.patch('/v1/practitioner/settings', {
      whoCanStartRequests: 'allowed_patients',
      allowedAttributes: ['primaryCare'],
    });
    expect(restricted.body).toMatchObject({
      whoCanStartRequests: 'allowed_patients',
      allowedAttributes: ['primaryCare'],
    });
    expect(await canI()).toMatchObject({ reason: 'NOT_ALLOWED' });
    expect((await newRequest()).body.error.code).toBe('NOT_ALLOWED');

    await doc.patch('/v1/practitioner/settings', { allowedAttributes: ['ald'] });
    expect((await canI()).canStartRequest).toBe(true);
    await doc.patch('/v1/practitioner/settings', { allowedAttributes: [] });
    expect((await doc.put(`/v1/practitioner/patients/${PAT}/allow`)).body).toMatchObject({ allowed: true });
    expect((await canI()).canStartRequest).toBe(true);

    const bad = await doc.patch('/v1/practitioner/settings', { allowedAttributes: ['ald', 'ald'] });
    expect(bad.status).toBe(400);

    await doc.patch('/v1/practitioner/settings', { sameDayCooldown: true });
    const request = await newRequest('Renouvellement ?');
    expect(request.status).toBe(201);
    expect(
      (
        await doc.post(`/v1/practitioner/threads/${request.body.thread.id}/messages`, {
          body: 'Fait.',
          markTreated: true,
          lastSeenMessageId: request.body.message.id,
        })
      ).status,
    ).toBe(201);
    const answer = await canI();
    expect(answer).toMatchObject({ canStartRequest: false, reason: 'COOLDOWN' });
    expect(answer.message).toMatch(/à partir du .* à 0h00/);
    const refused = await newRequest('Encore une question');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toEqual({
      code: 'COOLDOWN',
      message: answer.message,
      details: { retryAfter: answer.details.retryAfter },
    });
    await doc.patch('/v1/practitioner/settings', {
      sameDayCooldown: false,
      whoCanStartRequests: 'all_patients',
    });
  });

  it('retract an unread message (tombstone), 409 once read; archive a closed thread (409 while open)', async () => {
    const sent = await doc.post('/v1/practitioner/threads', {
      patientId: PAT,
      body: 'Message envoyé au mauvais patient',
      replyPolicy: 'none',
    });
    const threadId: string = sent.body.thread.id;
    const messageId: string = sent.body.message.id;
    const unreadBefore = (await pat.get('/v1/patient/summary')).body.unreadMessages;

    const retracted = await doc.delete(`/v1/practitioner/threads/${threadId}/messages/${messageId}`);
    expect(retracted.status).toBe(200);
    expect(retracted.body.message).toMatchObject({ id: messageId, retracted: true });
    expect(retracted.body.message.body).toBeUndefined();
    expect((await pat.get('/v1/patient/summary')).body.unreadMessages).toBe(unreadBefore - 1);
    const patientView = await pat.get(`/v1/patient/threads/${threadId}`);
    expect(patientView.body.messages[0]).toMatchObject({ retracted: true });
    expect(patientView.text).not.toContain('mauvais patient');
    expect((await doc.get(`/v1/practitioner/threads/${threadId}`)).text).not.toContain('mauvais patient');
    expect(await published('MessageRetracted')).toHaveLength(1);

    const second = await doc.post(`/v1/practitioner/threads/${threadId}/messages`, {
      body: 'Le bon message',
    });
    await pat.post(`/v1/patient/threads/${threadId}/read`);
    const tooLate = await doc.delete(
      `/v1/practitioner/threads/${threadId}/messages/${second.body.message.id}`,
    );
    expect(tooLate.status).toBe(409);
    expect(tooLate.body.error.code).toBe('CONFLICT');

    expect((await doc.delete(`/v1/practitioner/threads/${threadId}`)).status).toBe(409);
    await doc.post(`/v1/practitioner/threads/${threadId}/treat`);
    const archived = await doc.delete(`/v1/practitioner/threads/${threadId}`);
    expect(archived.status).toBe(200);
    expect(archived.body.thread).toMatchObject({ id: threadId, archived: true, status: 'closed' });
    const inbox = await doc.get('/v1/practitioner/threads', { query: { filter: 'all' } });
    expect(inbox.body.items.map((t: { id: string }) => t.id)).not.toContain(threadId);
    expect((await doc.get(`/v1/practitioner/threads/${threadId}`)).status).toBe(200);
    expect(await published('ThreadArchived')).toHaveLength(1);

    // Someone else's thread is not found.
    const other = await t.as('dr-other', 'practitioner');
    expect((await other.delete(`/v1/practitioner/threads/${threadId}`)).status).toBe(404);
  });
});
