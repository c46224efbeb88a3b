import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_QUOTAS } from '../../shared/domain/quotas.ts';
import { type ApiClient, startTestApi, type TestApi } from '../support/index.ts';

/**
 * Load test of issue 13 part 4 over HTTP against the local stack (dev quotas, as `npm start`):
 * one abusive patient floods a practitioner with parallel requests; they get 429 past their
 * own quota while another patient's requests to the same practitioner, sent in the same burst,
 * all go through. Prints the numbers it measured.
 */
let t: TestApi;
let doc: ApiClient;
let abuser: ApiClient;
let calm: ApiClient;
const DOC = 'dr-flooded';
const ABUSER = 'pat-abuser';
const CALM = 'pat-calm';
const FLOOD = 60;

beforeAll(async () => {
  t = await startTestApi();
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
    const byStatus = (responses: { status: number }[]) => {
      const counts: Record<number, number> = {};
      for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
      return counts;
    };
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
