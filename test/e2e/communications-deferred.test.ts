/**
 * Issue 6 over HTTP against the local stack (real handlers, the
 * communication-fanout consumer on the local bus, the due-work schedule):
 * a personalised group communication to a segment of the base reaches `done`,
 * each patient of the segment finds exactly one message (and one email); a
 * deferred message appears in the patient's thread at its time — or never, if
 * cancelled. Deferred times are set on the local clock (GET /local/clock), which
 * the tests advance past them instead of waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookedByAgenda } from '../support/agenda.ts';
import type { ApiClient } from '../support/http-client.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

const DOC = 'dr-e2e-group';
const P = '/v1/practitioner';
const PATIENTS = [
  { id: 'pat-e2e-g1', firstName: 'Alice', chronic: true, ald: false },
  { id: 'pat-e2e-g2', firstName: 'Bruno', chronic: false, ald: true },
  { id: 'pat-e2e-g3', firstName: 'Chloé', chronic: true, ald: true },
  { id: 'pat-e2e-g4', firstName: 'Driss', chronic: false, ald: false },
  { id: 'pat-e2e-g5', firstName: 'Emma', chronic: false, ald: false },
];

let t: TestApi;
let dr: ApiClient;
const patients = new Map<string, ApiClient>();

const threadsOf = async (patientId: string) => {
  const res = await (patients.get(patientId) as ApiClient).get('/v1/patient/threads', {
    query: { limit: 100 },
  });
  expect(res.status).toBe(200);
  return res.body.items as Array<{ id: string }>;
};

const messagesOf = async (patientId: string, threadId: string) => {
  const res = await (patients.get(patientId) as ApiClient).get(`/v1/patient/threads/${threadId}`);
  expect(res.status).toBe(200);
  return res.body.messages as Array<{ body: string; sentAt: string }>;
};

const MINUTE = 60_000;
/** An ISO time `ms` from now on the stack's local clock. */
const fromNow = async (ms: number) => new Date((await t.clock.now()).getTime() + ms).toISOString();

beforeAll(async () => {
  t = await startTestApi();
  dr = await t.as(DOC, 'practitioner');
  expect(
    (await dr.patch(`${P}/settings`, { displayName: 'Dr Groupe', timezone: 'Europe/Paris' })).status,
  ).toBe(200);
  for (const p of PATIENTS) {
    const res = await dr.put(`${P}/patients/${p.id}`, {
      firstName: p.firstName,
      lastName: 'Test',
      // Typed by the practitioner: never emailed (ADR 0010).
      email: `${p.id}@typed.example.org`,
      attributes: { chronic: p.chronic, ald: p.ald },
    });
    expect(res.status).toBe(201);
    // The address the agenda verified at booking: the one a group communication emails.
    await bookedByAgenda(t, {
      practitionerId: DOC,
      patientId: p.id,
      patient: { firstName: p.firstName, lastName: 'Test', email: `${p.id}@example.org` },
    });
    patients.set(p.id, await t.as(p.id, 'patient'));
  }
});

afterAll(() => t?.stop());

describe('a group communication over HTTP', () => {
  it('to a segment: 202, progress to done, exactly one personalised message and one email per patient', async () => {
    const created = await dr.post(`${P}/communications`, {
      body: 'Bonjour {{patient.firstName}}, je réponds désormais à vos questions par la messagerie. {{practitioner.name}}',
      audience: { attributes: ['chronic', 'ald'] },
    });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({
      id: expect.any(String),
      status: 'queued',
      total: null,
      sent: 0,
      failed: 0,
      replyPolicy: 'none',
      audience: { attributes: ['chronic', 'ald'] },
      finishedAt: null,
    });

    await t.bus.drain();
    const progress = await dr.get(`${P}/communications/${created.body.id}`);
    expect(progress.status).toBe(200);
    expect(progress.body).toMatchObject({ status: 'done', total: 3, sent: 3, failed: 0 });
    expect(progress.body.startedAt).toEqual(expect.any(String));
    expect(progress.body.finishedAt).toEqual(expect.any(String));

    const emails = await t.ses.emails();
    for (const p of PATIENTS) {
      const threads = await threadsOf(p.id);
      const inSegment = p.chronic || p.ald;
      expect(threads, p.id).toHaveLength(inSegment ? 1 : 0);
      expect(
        emails.filter((e) => e.destination.to.includes(`${p.id}@example.org`)),
        p.id,
      ).toHaveLength(inSegment ? 1 : 0);
      expect(emails.filter((e) => e.destination.to.includes(`${p.id}@typed.example.org`))).toHaveLength(0);
      if (!inSegment) continue;
      const messages = await messagesOf(p.id, threads[0]?.id ?? '');
      expect(messages.map((m) => m.body)).toEqual([
        `Bonjour ${p.firstName}, je réponds désormais à vos questions par la messagerie. Dr Groupe`,
      ]);
    }
    expect(t.bus.deadLetters).toEqual([]);

    const list = await dr.get(`${P}/communications`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ items: [{ id: created.body.id, status: 'done' }], nextCursor: null });
    const other = await t.as('dr-e2e-other', 'practitioner');
    expect((await other.get(`${P}/communications/${created.body.id}`)).status).toBe(404);
    expect((await other.get(`${P}/communications`)).body.items).toEqual([]);
  });

  it('refuses a bad audience (400) and a text no patient could receive (422)', async () => {
    const bad = await dr.post(`${P}/communications`, { body: 'x', audience: { attributes: [] } });
    expect(bad.status).toBe(400);
    const missing = await dr.post(`${P}/communications`, {
      body: 'Votre rendez-vous du {{appointment.date}}',
      audience: { all: true },
    });
    expect(missing.status).toBe(422);
    expect(missing.body.error).toMatchObject({ code: 'TEMPLATE_VARIABLE_MISSING' });
  });
});

describe('deferred sending over HTTP', () => {
  it('appears in the patient’s thread at its time, or never if cancelled', async () => {
    const patientId = 'pat-e2e-g4';
    const before = (await threadsOf(patientId)).length;
    // A minute ahead on the local clock: it is advanced past that time, then due-work is run by hand.
    // (Under the 5 minutes after which the communication above has its watchdog due: `done` counts only this.)
    const sendAt = await fromNow(MINUTE);
    const kept = await dr.post(`${P}/threads`, { patientId, body: 'Votre bilan est prêt.', sendAt });
    expect(kept.status).toBe(202);
    expect(kept.body).toMatchObject({ status: 'scheduled', patientId, threadId: null, sendAt });
    const cancelled = await dr.post(`${P}/threads`, { patientId, body: 'Message annulé', sendAt });
    expect(cancelled.status).toBe(202);

    const pending = await dr.get(`${P}/scheduled-messages`);
    expect(pending.status).toBe(200);
    expect(pending.body.items.map((m: { id: string }) => m.id).sort()).toEqual(
      [kept.body.id, cancelled.body.id].sort(),
    );
    expect(await threadsOf(patientId)).toHaveLength(before);

    const other = await t.as('dr-e2e-other', 'practitioner');
    expect((await other.delete(`${P}/scheduled-messages/${cancelled.body.id}`)).status).toBe(404);
    expect((await dr.delete(`${P}/scheduled-messages/${cancelled.body.id}`)).status).toBe(204);

    const moved = await t.clock.advance('PT1M1S', { runSchedules: false });
    expect(Date.parse(moved.now)).toBeGreaterThan(Date.parse(sendAt));
    expect(moved.schedulesRun).toEqual([]);
    const run = await t.api.post('/local/schedules/due-work');
    expect(run.status).toBe(200);
    expect(run.body.result).toMatchObject({ done: 1 });
    await t.api.post('/local/schedules/due-work');
    await t.bus.drain();

    const threads = await threadsOf(patientId);
    expect(threads).toHaveLength(before + 1);
    const messages = await messagesOf(patientId, threads[0]?.id ?? '');
    expect(messages.map((m) => m.body)).toEqual(['Votre bilan est prêt.']);

    const all = await dr.get(`${P}/scheduled-messages`, { query: { status: 'all' } });
    expect(all.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: kept.body.id, status: 'sent', threadId: threads[0]?.id }),
        expect.objectContaining({ id: cancelled.body.id, status: 'cancelled' }),
      ]),
    );
    expect((await dr.get(`${P}/scheduled-messages`)).body.items).toEqual([]);
    expect((await dr.delete(`${P}/scheduled-messages/${kept.body.id}`)).status).toBe(409);
  });

  it('a deferred reply; past or far-away times are refused (400)', async () => {
    const patientId = 'pat-e2e-g5';
    const started = await dr.post(`${P}/threads`, {
      patientId,
      body: 'Bonjour',
      replyPolicy: 'until_closed',
    });
    expect(started.status).toBe(201);
    const threadId = started.body.thread.id;
    const past = await dr.post(`${P}/threads/${threadId}/messages`, {
      body: 'x',
      sendAt: await fromNow(-MINUTE),
    });
    expect(past.status).toBe(400);
    const far = await dr.post(`${P}/threads/${threadId}/messages`, {
      body: 'x',
      sendAt: await fromNow(400 * 24 * 60 * MINUTE),
    });
    expect(far.status).toBe(400);
    const treatToo = await dr.post(`${P}/threads/${threadId}/messages`, {
      body: 'x',
      markTreated: true,
      sendAt: await fromNow(MINUTE),
    });
    expect(treatToo.status).toBe(400);

    const sendAt = await fromNow(MINUTE);
    const reply = await dr.post(`${P}/threads/${threadId}/messages`, { body: 'Suite du message', sendAt });
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ kind: 'reply', threadId, status: 'scheduled' });
    expect(await messagesOf(patientId, threadId)).toHaveLength(1);
    await t.clock.advance('PT1M1S', { runSchedules: false });
    expect((await t.api.post('/local/schedules/due-work')).body.result).toMatchObject({ done: 1 });
    expect((await messagesOf(patientId, threadId)).map((m) => m.body)).toEqual([
      'Bonjour',
      'Suite du message',
    ]);
  });
});
