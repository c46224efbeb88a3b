import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiClient,
  type ApiResponse,
  bookedByAgenda,
  emailsTo,
  startTestApi,
  type TestApi,
} from '../support/index.ts';

/**
 * Idempotent writes over HTTP (issue 7): Powertools Idempotency on the local
 * `<table>-idempotency` table in DynamoDB Local, the real consumers on the local
 * bus, emails in the local SES.
 */
let t: TestApi;
let doc: ApiClient;
let pat: ApiClient;
const DOC = 'dr-idem';
const PAT = 'pat-idem';
const PAT_EMAIL = 'pat.idem@example.org';

beforeAll(async () => {
  t = await startTestApi();
  doc = await t.as(DOC, 'practitioner');
  pat = await t.as(PAT, 'patient');
  expect((await doc.patch('/v1/practitioner/settings', { displayName: 'Dr Idem' })).status).toBe(200);
  expect(
    (
      await doc.put(`/v1/practitioner/patients/${PAT}`, {
        firstName: 'Ana',
        lastName: 'Idem',
        // Typed by the practitioner: never emailed (ADR 0010).
        email: 'ana.typed@example.org',
      })
    ).status,
  ).toBe(201);
  // The patient's address, verified by the agenda at booking: the one patient emails go to.
  await bookedByAgenda(t, {
    practitionerId: DOC,
    patientId: PAT,
    patient: { firstName: 'Ana', lastName: 'Idem', email: PAT_EMAIL },
  });
});
afterAll(() => t?.stop());

const withKey = (key: string) => ({ headers: { 'idempotency-key': key } });

const settled = async () => {
  await t.bus.drain();
  return {
    events: t.bus.events.map((e) => e.detailType),
    emails: await emailsTo(t.ses, PAT_EMAIL),
  };
};

const patientThreads = async () =>
  (await pat.get('/v1/patient/threads', { query: { limit: 100 } })).body.items;

const counted = (values: string[]) =>
  values.reduce<Record<string, number>>((n, v) => Object.assign(n, { [v]: (n[v] ?? 0) + 1 }), {});

describe('Idempotency-Key on creating POSTs', () => {
  it('50 parallel retries of one send → one thread, one message, one event each, one patient email', async () => {
    const before = await settled();
    const threadsBefore = (await patientThreads()).length;
    const key = randomUUID();
    const body = { patientId: PAT, body: 'Vos résultats sont arrivés', replyPolicy: 'single' };
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => doc.post('/v1/practitioner/threads', body, withKey(key))),
    );

    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201));
    const [first] = responses as [ApiResponse];
    for (const r of responses) expect(r.body).toEqual(first.body);
    // One ran; the 49 others were answered the stored response.
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(49);

    const threads = await patientThreads();
    expect(threads).toHaveLength(threadsBefore + 1);
    const thread = await pat.get(`/v1/patient/threads/${first.body.thread.id}`);
    expect(thread.body.messages).toHaveLength(1);

    const after = await settled();
    const newEvents = counted(after.events.slice(before.events.length));
    expect(newEvents).toMatchObject({ ThreadStarted: 1, MessageSent: 1, PatientNotified: 1 });
    expect(after.emails).toHaveLength(before.emails.length + 1);
  });

  it('50 parallel retries of one reply → one message, one MessageSent, one email', async () => {
    const start = await doc.post('/v1/practitioner/threads', {
      patientId: PAT,
      body: 'Bonjour',
      replyPolicy: 'none',
    });
    const threadId: string = start.body.thread.id;
    const before = await settled();
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        doc.post(`/v1/practitioner/threads/${threadId}/messages`, { body: 'Un rappel' }, withKey(key)),
      ),
    );
    expect(new Set(responses.map((r) => r.status))).toEqual(new Set([201]));
    expect(new Set(responses.map((r) => r.body.message.id)).size).toBe(1);
    expect((await pat.get(`/v1/patient/threads/${threadId}`)).body.messages).toHaveLength(2);
    const after = await settled();
    expect(counted(after.events.slice(before.events.length))).toMatchObject({
      MessageSent: 1,
      PatientNotified: 1,
    });
    expect(after.emails).toHaveLength(before.emails.length + 1);
  });

  it('the same key with a different body is a 422 IDEMPOTENCY_KEY_REUSED, and writes nothing', async () => {
    const key = randomUUID();
    const first = await pat.post(
      '/v1/patient/threads',
      { practitionerId: DOC, body: 'Première demande' },
      withKey(key),
    );
    expect(first.status).toBe(201);
    const before = await settled();
    const threads = (await patientThreads()).length;

    const reused = await pat.post(
      '/v1/patient/threads',
      { practitionerId: DOC, body: 'Autre demande' },
      withKey(key),
    );
    expect(reused.status).toBe(422);
    expect(reused.body).toEqual({ error: { code: 'IDEMPOTENCY_KEY_REUSED', message: expect.any(String) } });
    expect(await patientThreads()).toHaveLength(threads);
    expect((await settled()).events).toHaveLength(before.events.length);

    // The original request with its key still answers its first response.
    const retry = await pat.post(
      '/v1/patient/threads',
      { practitionerId: DOC, body: 'Première demande' },
      withKey(key),
    );
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
  });

  it('keys are per caller and per route: the same key never collides', async () => {
    const key = 'shared-key-1';
    const other = await t.as('dr-idem-2', 'practitioner');
    await other.put(`/v1/practitioner/patients/${PAT}`, { firstName: 'Ana', lastName: 'Idem' });
    const mine = await doc.post(
      '/v1/practitioner/threads',
      { patientId: PAT, body: 'A', replyPolicy: 'none' },
      withKey(key),
    );
    const theirs = await other.post(
      '/v1/practitioner/threads',
      { patientId: PAT, body: 'A', replyPolicy: 'none' },
      withKey(key),
    );
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.body.thread.id).not.toBe(mine.body.thread.id);
    expect(theirs.body.thread.practitionerId).toBe('dr-idem-2');
    // Same caller, same key, another route: another operation.
    const template = await doc.post(
      '/v1/practitioner/templates',
      { name: 'Rappel', body: 'Bonjour' },
      withKey(key),
    );
    expect(template.status).toBe(201);
    expect(template.body.name).toBe('Rappel');
  });

  it('a refusal is not stored: once the cause is gone, the same key runs', async () => {
    const key = randomUUID();
    const body = { patientId: 'pat-idem-later', body: 'Bienvenue', replyPolicy: 'none' };
    const refused = await doc.post('/v1/practitioner/threads', body, withKey(key));
    expect(refused.status).toBe(404);
    await doc.put('/v1/practitioner/patients/pat-idem-later', { firstName: 'Léa', lastName: 'Later' });
    const accepted = await doc.post('/v1/practitioner/threads', body, withKey(key));
    expect(accepted.status).toBe(201);
    expect(accepted.headers.get('idempotent-replayed')).toBeNull();
  });

  it('without a key every request is a new send; a malformed key is a 400 and sends nothing', async () => {
    const threads = (await patientThreads()).length;
    const body = { patientId: PAT, body: 'Sans clé', replyPolicy: 'none' };
    expect((await doc.post('/v1/practitioner/threads', body)).status).toBe(201);
    expect((await doc.post('/v1/practitioner/threads', body)).status).toBe(201);
    const bad = await doc.post('/v1/practitioner/threads', body, withKey('a key with spaces'));
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([
      { path: ['headers', 'idempotency-key'], code: 'invalid_format', message: expect.any(String) },
    ]);
    expect(await patientThreads()).toHaveLength(threads + 2);
  });
});
