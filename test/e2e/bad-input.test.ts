import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, type ApiResponse, startTestApi, type TestApi } from '../support/index.ts';

let t: TestApi;
let doc: ApiClient;
let pat: ApiClient;
let threadId: string;

/** The whole test table (a Scan is fine in a test: it is how we prove nothing was written). */
const snapshot = async () => {
  const { Items } = await t.table.doc.send(
    new ScanCommand({ TableName: t.table.tableName, ConsistentRead: true }),
  );
  return JSON.stringify((Items ?? []).sort((a, b) => `${a.pk}${a.sk}`.localeCompare(`${b.pk}${b.sk}`)));
};

beforeAll(async () => {
  t = await startTestApi();
  doc = await t.as('dr-input', 'practitioner');
  pat = await t.as('pat-input', 'patient');
  await doc.put('/v1/practitioner/patients/pat-input', { firstName: 'A', lastName: 'B' });
  threadId = (await pat.post('/v1/patient/threads', { practitionerId: 'dr-input', body: 'Bonjour' })).body
    .thread.id;
  // Let the setup settle (events, and the audit shipper copying its entries) before any snapshot.
  await t.bus.drain();
});
afterAll(() => t?.stop());

const cases: Array<[string, () => Promise<ApiResponse>, number]> = [
  [
    'malformed JSON',
    () => pat.request('POST', '/v1/patient/threads', { rawBody: '{"practitionerId": "dr-input",' }),
    400,
  ],
  ['an array body', () => pat.request('POST', '/v1/patient/threads', { rawBody: '[1,2]' }), 400],
  [
    'unknown field',
    () => pat.post('/v1/patient/threads', { practitionerId: 'dr-input', body: 'x', urgent: true }),
    400,
  ],
  ['wrong type', () => pat.post('/v1/patient/threads', { practitionerId: 42, body: 'x' }), 400],
  ['blank body', () => pat.post(`/v1/patient/threads/${threadId}/messages`, { body: '   \n\t ' }), 400],
  [
    '5,001 characters',
    () => pat.post(`/v1/patient/threads/${threadId}/messages`, { body: 'é'.repeat(5001) }),
    400,
  ],
  [
    'a 100 KB payload',
    () => pat.post(`/v1/patient/threads/${threadId}/messages`, { body: 'x'.repeat(100_000) }),
    413,
  ],
  [
    'bad reply policy',
    () => doc.post(`/v1/practitioner/threads/${threadId}/messages`, { body: 'x', replyPolicy: 'forever' }),
    400,
  ],
  [
    'markTreated as a string',
    () => doc.post(`/v1/practitioner/threads/${threadId}/messages`, { body: 'x', markTreated: 'yes' }),
    400,
  ],
  ['bad time zone', () => doc.patch('/v1/practitioner/settings', { timezone: 'Mars/Olympus' }), 400],
  ['empty settings patch', () => doc.patch('/v1/practitioner/settings', {}), 400],
  [
    'bad email on a record',
    () => doc.put('/v1/practitioner/patients/pat-x', { firstName: 'A', lastName: 'B', email: 'nope' }),
    400,
  ],
  [
    'unknown attribute',
    () =>
      doc.put('/v1/practitioner/patients/pat-x', {
        firstName: 'A',
        lastName: 'B',
        attributes: { vip: true },
      }),
    400,
  ],
  ['an id with a slash-like char', () => doc.get('/v1/practitioner/patients/a%23b'), 400],
  ['bad filter', () => doc.get('/v1/practitioner/threads', { query: { filter: 'everything' } }), 400],
  ['limit out of range', () => doc.get('/v1/practitioner/threads', { query: { limit: 1000 } }), 400],
  ['forged cursor', () => doc.get('/v1/practitioner/threads', { query: { cursor: 'eyJwayI6IngifQ' } }), 400],
  ['unknown query parameter', () => pat.get('/v1/patient/threads', { query: { sort: 'asc' } }), 400],
];

describe('bad input gets a clear 4xx JSON error and changes nothing', () => {
  it.each(cases)('%s', async (_, call, status) => {
    const before = await snapshot();
    const res = await call();
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(status === 413 ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_ERROR');
    expect(typeof res.body.error.message).toBe('string');
    expect(await snapshot()).toBe(before);
  });

  it('names the faulty field without echoing its value', async () => {
    const res = await pat.post('/v1/patient/threads', {
      practitionerId: 'dr-input',
      body: 'Secret médical'.repeat(400),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: ['body'] })]);
    expect(JSON.stringify(res.body)).not.toContain('Secret');
  });
});
