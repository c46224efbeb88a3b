import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_QUOTAS } from '../../shared/domain/quotas.ts';
import { type ApiClient, startTestApi, type TestApi } from '../support/index.ts';

const byStatus = (responses: { status: number }[]) => {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
};

/**
 * Load test of issue 13 part 4 over HTTP against the local stack (dev quotas, as `npm start`,
 * except the practitioner ones below, lowered so a burst reaches them): one abusive patient
 * floods a practitioner with parallel requests; they get 429 past their own quota while another
 * patient's requests to the same practitioner, sent in the same burst, all go through. Likewise
 * one abusive practitioner floods deferred messages and group communications: 429 and a paused
 * fan-out for them, nothing taken from another practitioner. Prints the numbers it measured.
 */
let t: TestApi;
let doc: ApiClient;
let abuser: ApiClient;
let calm: ApiClient;
const DOC = 'dr-flooded';
const ABUSER = 'pat-abuser';
const CALM = 'pat-calm';
const FLOOD = 60;
const QUOTAS = {
  ...DEFAULT_QUOTAS,
  pendingScheduledMessagesPerPractitioner: 10,
  communicationRecipientsPerPractitionerPerDay: 4,
};

beforeAll(async () => {
  t = await startTestApi({ quotas: QUOTAS });
  doc = await t.as(DOC, 'practitioner');
  abuser = await t.as(ABUSER, 'patient');
  calm = await t.as(CALM, 'patient');
  for (const patientId of [ABUSER, CALM]) {
    const res = await doc.put(`/v1/practitioner/patients/${patientId}`, { firstName: 'X', lastName: 'Y' });
    expect(res.status).toBe(201);
  }
}, 120_000);
afterAll(() => t?.stop());

describe('one abusive patient cannot use up another patient’s capacity', () => {
  it(`${FLOOD} parallel starts by one patient: 429 past the quota; the other patient's starts all succeed`, {
    timeout: 180_000,
  }, async () => {
    const limit = DEFAULT_QUOTAS.openRequestsPerPatientPerPractitioner;
    const started = Date.now();
    const [flood, fair] = await Promise.all([
      Promise.all(
        Array.from({ length: FLOOD }, (_, i) =>
          abuser.post('/v1/patient/threads', { practitionerId: DOC, body: `Flood ${i}` }),
        ),
      ),
      Promise.all(
        Array.from({ length: limit }, (_, i) =>
          calm.post('/v1/patient/threads', { practitionerId: DOC, body: `Question ${i}` }),
        ),
      ),
    ]);
    const elapsed = Date.now() - started;
    console.info(
      `quota flood: ${FLOOD} abusive + ${limit} fair starts in ${elapsed} ms; abusive ${JSON.stringify(byStatus(flood))}, fair ${JSON.stringify(byStatus(fair))}`,
    );

    expect(byStatus(fair)).toEqual({ 201: limit });
    expect(byStatus(flood)).toEqual({ 201: limit, 429: FLOOD - limit });
    for (const refused of flood.filter((r) => r.status === 429)) {
      expect(refused.headers.get('retry-after')).toBe('3600');
      expect(refused.body.error).toMatchObject({
        code: 'QUOTA_EXCEEDED',
        details: { quota: 'openRequestsPerPatientPerPractitioner', limit },
      });
    }
    // Refused starts wrote nothing: the practitioner sees exactly the committed threads.
    const summary = (await doc.get('/v1/practitioner/summary')).body;
    expect(summary.openThreads).toBe(2 * limit);
    expect((await abuser.get('/v1/patient/threads')).body.items).toHaveLength(limit);

    // Treating one of the abuser's requests frees exactly one slot.
    const [first] = (await abuser.get('/v1/patient/threads')).body.items;
    const page = await doc.get(`/v1/practitioner/threads/${first.id}`);
    const treated = await doc.post(`/v1/practitioner/threads/${first.id}/treat`, {
      lastSeenMessageId: page.body.messages.at(-1).id,
    });
    expect(treated.status).toBe(200);
    const again = await Promise.all(
      Array.from({ length: 5 }, () =>
        abuser.post('/v1/patient/threads', { practitionerId: DOC, body: 'Encore' }),
      ),
    );
    expect(byStatus(again)).toEqual({ 201: 1, 429: 4 });
  });
});

describe('one abusive practitioner cannot use up another practitioner’s capacity', () => {
  const SPAMMER = 'dr-spammer';
  const FAIR = 'dr-fair';
  /** Patients in each base: more than the daily recipients for the abuser, fewer for the other one. */
  const BASE = { 'dr-spammer': 6, 'dr-fair': 3 } as Record<string, number>;
  let spammer: ApiClient;
  let fair: ApiClient;
  const patientOf = (practitionerId: string, n: number) => `${practitionerId}-pat-${n}`;

  beforeAll(async () => {
    spammer = await t.as(SPAMMER, 'practitioner');
    fair = await t.as(FAIR, 'practitioner');
    for (const [client, practitionerId] of [
      [spammer, SPAMMER],
      [fair, FAIR],
    ] as const) {
      for (let n = 0; n < (BASE[practitionerId] ?? 0); n++) {
        const res = await client.put(`/v1/practitioner/patients/${patientOf(practitionerId, n)}`, {
          firstName: 'X',
          lastName: 'Y',
        });
        expect(res.status).toBe(201);
      }
    }
  }, 120_000);

  it(`${FLOOD} parallel deferred messages: 429 past the pending limit; the other practitioner's all scheduled`, {
    timeout: 180_000,
  }, async () => {
    const limit = QUOTAS.pendingScheduledMessagesPerPractitioner;
    const sendAt = new Date((await t.clock.now()).getTime() + 86_400_000).toISOString();
    const schedule = (client: ApiClient, practitionerId: string, i: number) =>
      client.post('/v1/practitioner/threads', {
        patientId: patientOf(practitionerId, i % (BASE[practitionerId] ?? 1)),
        body: `Rappel ${i}`,
        sendAt,
      });
    const started = Date.now();
    const [flood, calmOnes] = await Promise.all([
      Promise.all(Array.from({ length: FLOOD }, (_, i) => schedule(spammer, SPAMMER, i))),
      Promise.all(Array.from({ length: limit }, (_, i) => schedule(fair, FAIR, i))),
    ]);
    console.info(
      `scheduled flood: ${FLOOD} abusive + ${limit} fair in ${Date.now() - started} ms; abusive ${JSON.stringify(byStatus(flood))}, fair ${JSON.stringify(byStatus(calmOnes))}`,
    );
    expect(byStatus(calmOnes)).toEqual({ 202: limit });
    expect(byStatus(flood)).toEqual({ 202: limit, 429: FLOOD - limit });
    for (const refused of flood.filter((r) => r.status === 429)) {
      expect(refused.headers.get('retry-after')).toBe('3600');
      expect(refused.body.error).toMatchObject({
        code: 'QUOTA_EXCEEDED',
        details: { quota: 'pendingScheduledMessagesPerPractitioner', limit },
      });
    }
    const pending = await spammer.get('/v1/practitioner/scheduled-messages?status=scheduled&limit=100');
    expect(pending.body.items).toHaveLength(limit);
    // Cancelling one frees exactly one slot.
    const cancelled = await spammer.delete(`/v1/practitioner/scheduled-messages/${pending.body.items[0].id}`);
    expect(cancelled.status).toBe(204);
    const again = await Promise.all(Array.from({ length: 4 }, (_, i) => schedule(spammer, SPAMMER, i)));
    expect(byStatus(again)).toEqual({ 202: 1, 429: 3 });
  });

  it('group communications past the daily recipients: paused, then refused; the other practitioner’s is sent whole', {
    timeout: 180_000,
  }, async () => {
    const limit = QUOTAS.communicationRecipientsPerPractitionerPerDay;
    const communicate = (client: ApiClient) =>
      client.post('/v1/practitioner/communications', {
        body: 'Le cabinet sera fermé vendredi.',
        audience: { all: true },
      });
    const [big, calmOne] = await Promise.all([communicate(spammer), communicate(fair)]);
    expect(big.status).toBe(202);
    expect(calmOne.status).toBe(202);
    await t.bus.drain();
    const paused = (await spammer.get(`/v1/practitioner/communications/${big.body.id}`)).body;
    expect(paused).toMatchObject({ status: 'sending', sent: limit, total: null });
    expect(paused.pausedUntil).toEqual(expect.any(String));
    // The fair practitioner's window is their own: their 3 recipients all sent, the same day.
    const sentWhole = (await fair.get(`/v1/practitioner/communications/${calmOne.body.id}`)).body;
    expect(sentWhole).toMatchObject({ status: 'done', sent: 3, failed: 0, total: 3, pausedUntil: null });
    // The window is used up: a second communication today is refused at once.
    const refused = await communicate(spammer);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({
      code: 'RATE_LIMITED',
      details: { quota: 'communicationRecipientsPerPractitionerPerDay', limit },
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
