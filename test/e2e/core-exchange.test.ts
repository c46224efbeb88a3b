import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/index.ts';

/** The "done when": a whole exchange over HTTP, as a client would run it with curl. */
let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t?.stop());

describe('a whole exchange over HTTP', () => {
  it('token → record → request → single reply → one answer → second refused → treat → receipts → summaries', async () => {
    const doc = await t.as('dr-martin', 'practitioner');
    const pat = await t.as('pat-camille', 'patient');

    expect(
      (
        await doc.patch('/v1/practitioner/settings', {
          displayName: 'Dr Martin',
          defaultReplyPolicy: 'single',
        })
      ).body,
    ).toMatchObject({ displayName: 'Dr Martin', defaultReplyPolicy: 'single', timezone: 'Europe/Paris' });

    const record = await doc.put('/v1/practitioner/patients/pat-camille', {
      firstName: 'Camille',
      lastName: 'Durand',
      email: 'camille@example.org',
      attributes: { primaryCare: true },
    });
    expect(record.status).toBe(201);
    expect(record.body).toMatchObject({
      patientId: 'pat-camille',
      blocked: false,
      attributes: { primaryCare: true },
    });
    expect((await doc.get('/v1/practitioner/patients/pat-camille')).body.firstName).toBe('Camille');

    const request = await pat.post('/v1/patient/threads', {
      practitionerId: 'dr-martin',
      body: '  Bonjour, puis-je renouveler mon ordonnance ?  ',
    });
    expect(request.status).toBe(201);
    expect(request.body.message.body).toBe('Bonjour, puis-je renouveler mon ordonnance ?');
    expect(request.body.notice).toMatch(/112/);
    const threadId: string = request.body.thread.id;

    const reply = await doc.post(`/v1/practitioner/threads/${threadId}/messages`, {
      body: 'Oui, passez demain.',
      replyPolicy: 'single',
    });
    expect(reply.status).toBe(201);
    expect(reply.body.message.readByPatientAt).toBeNull();

    expect((await pat.get('/v1/patient/summary')).body).toEqual({ unreadMessages: 1 });
    expect((await pat.post(`/v1/patient/threads/${threadId}/read`)).status).toBe(200);
    expect((await pat.get('/v1/patient/summary')).body).toEqual({ unreadMessages: 0 });

    const answer = await pat.post(`/v1/patient/threads/${threadId}/messages`, { body: 'Merci !' });
    expect(answer.status).toBe(201);
    const second = await pat.post(`/v1/patient/threads/${threadId}/messages`, { body: 'Encore' });
    expect(second.status).toBe(403);
    expect(second.body.error.code).toBe('REPLY_NOT_ALLOWED');

    expect((await doc.get('/v1/practitioner/summary')).body).toEqual({
      untreatedMessages: 2,
      unreadThreads: 1,
      openThreads: 1,
    });
    const untreated = await doc.get('/v1/practitioner/threads', { query: { filter: 'untreated' } });
    expect(untreated.body.items.map((i: { id: string }) => i.id)).toEqual([threadId]);

    // Safe treat: the answer was never seen (not read, not named): refused, nothing changes.
    const unseen = await doc.post(`/v1/practitioner/threads/${threadId}/treat`);
    expect(unseen.status).toBe(409);
    expect(unseen.body.error).toMatchObject({
      code: 'THREAD_CHANGED',
      details: { newerMessageIds: [answer.body.message.id] },
    });
    expect((await doc.get('/v1/practitioner/summary')).body).toMatchObject({
      untreatedMessages: 2,
      openThreads: 1,
    });
    // Treated from the page that shows the answer, as the practitioner's screen does.
    const seen = await doc.get(`/v1/practitioner/threads/${threadId}`);
    expect(seen.body.messages.at(-1).id).toBe(answer.body.message.id);
    const treated = await doc.post(`/v1/practitioner/threads/${threadId}/treat`, {
      lastSeenMessageId: seen.body.messages.at(-1).id,
    });
    expect(treated.body.thread.status).toBe('closed');
    const practitionerView = await doc.get(`/v1/practitioner/threads/${threadId}`);
    expect(practitionerView.body.messages[1].readByPatientAt).toEqual(expect.any(String));
    expect((await doc.post(`/v1/practitioner/threads/${threadId}/read`)).status).toBe(200);
    expect((await doc.get('/v1/practitioner/summary')).body).toEqual({
      untreatedMessages: 0,
      unreadThreads: 0,
      openThreads: 0,
    });

    const patientView = await pat.get(`/v1/patient/threads/${threadId}`);
    expect(patientView.body.thread).toMatchObject({
      status: 'closed',
      canReply: false,
      replyBlockedReason: 'THREAD_CLOSED',
    });
    expect(patientView.text).not.toMatch(/readByPatientAt|practitionerReadAt|unreadForPractitioner/);
    expect((await pat.get('/v1/patient/threads')).body.items[0].id).toBe(threadId);

    const closedWrite = await pat.post(`/v1/patient/threads/${threadId}/messages`, { body: 'Et encore' });
    expect(closedWrite.status).toBe(409);
    expect(closedWrite.body.error.code).toBe('THREAD_CLOSED');
  });
});
