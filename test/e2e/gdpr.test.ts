import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, startTestApi, type TestApi } from '../support/index.ts';

/**
 * Export and erasure over HTTP (SPEC 11.6): the local stack with its S3-compatible
 * server, the export worker on the local bus, Powertools idempotency on the local table.
 */
let t: TestApi;
let doc: ApiClient;
let pat: ApiClient;
let other: ApiClient;
const DOC = 'dr-gdpr';
const PAT = 'pat-gdpr';

beforeAll(async () => {
  t = await startTestApi();
  doc = await t.as(DOC, 'practitioner');
  pat = await t.as(PAT, 'patient');
  other = await t.as('pat-gdpr-other', 'patient');
  expect((await doc.patch('/v1/practitioner/settings', { displayName: 'Dr Gdpr' })).status).toBe(200);
  const record = { firstName: 'Héloïse', lastName: 'Vantongeren', email: 'heloise.v@example.org' };
  expect((await doc.put(`/v1/practitioner/patients/${PAT}`, record)).status).toBe(201);
  const started = await pat.post('/v1/patient/threads', { practitionerId: DOC, body: 'Bonjour docteur' });
  expect(started.status).toBe(201);
});
afterAll(() => t?.stop());

describe('export', () => {
  it('202 {id, status}, once per Idempotency-Key; built asynchronously; a 15-minute link; 404 for another patient', async () => {
    const headers = { 'idempotency-key': 'export-1' };
    const [first, retry] = await Promise.all([
      pat.post('/v1/patient/exports', undefined, { headers }),
      pat.post('/v1/patient/exports', undefined, { headers }),
    ]);
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ id: expect.any(String), status: 'pending' });
    expect(retry.body).toEqual(first.body);
    const id = (first.body as { id: string }).id;

    await t.bus.drain();
    const ready = await pat.get(`/v1/patient/exports/${id}`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ready',
      downloadUrl: expect.stringContaining('X-Amz-Expires=900'),
    });
    const file = (await (await fetch((ready.body as { downloadUrl: string }).downloadUrl)).json()) as {
      threads: { messages: { body: string }[] }[];
    };
    expect(file).toMatchObject({ patientId: PAT, exportId: id, attachments: [] });
    expect(file.threads).toHaveLength(1);
    expect(file.threads[0]?.messages[0]?.body).toBe('Bonjour docteur');

    expect((await other.get(`/v1/patient/exports/${id}`)).status).toBe(404);
    expect((await pat.get('/v1/patient/exports/nope')).status).toBe(404);
  });
});

describe('erasure', () => {
  it("a practitioner erasing a patient they do not know: 404; the patient's own erasure: 200, the same twice", async () => {
    expect((await doc.post('/v1/practitioner/patients/pat-unknown/erasure')).status).toBe(404);
    const first = await pat.post('/v1/patient/erasure');
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ status: 'erased', erasedAt: expect.any(String) });
    const again = await pat.post('/v1/patient/erasure');
    expect(again.body).toEqual(first.body);

    const record = await doc.get(`/v1/practitioner/patients/${PAT}`);
    expect(record.status).toBe(200);
    expect(record.body).toMatchObject({ patientId: PAT, firstName: '', lastName: '', email: null });
    // The practitioner's own route on the (already erased) record: 200, idempotent.
    const byDoc = await doc.post(`/v1/practitioner/patients/${PAT}/erasure`);
    expect(byDoc.status).toBe(200);
    expect(byDoc.body).toMatchObject({
      patientId: PAT,
      status: 'erased',
      erasedAt: (first.body as { erasedAt: string }).erasedAt,
    });
    // The thread (the medical record) is still there for both.
    expect((await pat.get('/v1/patient/threads')).body.items).toHaveLength(1);
  });
});
