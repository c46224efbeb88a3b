import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { httpRoutes } from '../../shared/function-model/triggers.ts';

const ROUTES = httpRoutes(FUNCTIONS);

import { type ApiClient, startTestApi, type TestApi, tokenFor } from '../support/index.ts';

let t: TestApi;
let owner: { doc: ApiClient; pat: ApiClient };
let threadId: string;

const concretePath = (path: string) =>
  path.replace('{threadId}', threadId ?? 'x').replace(/\{[A-Za-z]+\}/g, 'pat-owner');

beforeAll(async () => {
  t = await startTestApi();
  owner = { doc: await t.as('dr-owner', 'practitioner'), pat: await t.as('pat-owner', 'patient') };
  await owner.doc.put('/v1/practitioner/patients/pat-owner', { firstName: 'A', lastName: 'B' });
  const started = await owner.pat.post('/v1/patient/threads', {
    practitionerId: 'dr-owner',
    body: 'Bonjour',
  });
  threadId = started.body.thread.id;
});
afterAll(() => t?.stop());

describe('every route', () => {
  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s refuses a missing token',
    async (_, route) => {
      const res = await t.api.request(route.method, concretePath(route.path), {
        body: route.method === 'GET' ? undefined : {},
      });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    },
  );

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    "%s refuses, at the authorizer, a token of the other role's user pool",
    async (_, route) => {
      const caller = await t.as('someone', route.role === 'practitioner' ? 'patient' : 'practitioner');
      const res = await caller.request(route.method, concretePath(route.path), {
        body: route.method === 'GET' ? undefined : {},
      });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    },
  );

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    "%s refuses the wrong role even in a token of the route's own pool (handler check)",
    async (_, route) => {
      const otherRole = route.role === 'practitioner' ? 'patient' : 'practitioner';
      const token = await tokenFor('someone', route.role, { claims: { 'custom:role': otherRole } });
      const res = await t.api.as(token).request(route.method, concretePath(route.path), {
        body: route.method === 'GET' ? undefined : {},
      });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    },
  );

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s refuses an access token (token_use)',
    async (_, route) => {
      const token = await tokenFor('someone', route.role, { claims: { token_use: 'access' } });
      const res = await t.api.as(token).request(route.method, concretePath(route.path), {
        body: route.method === 'GET' ? undefined : {},
      });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    },
  );

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s refuses a forged token',
    async (_, route) => {
      const res = await t.api
        .as('eyJhbGciOiJub25lIn0.eyJzdWIiOiJkci1vd25lciIsImN1c3RvbTpyb2xlIjoicHJhY3RpdGlvbmVyIn0.')
        .request(route.method, concretePath(route.path), { body: route.method === 'GET' ? undefined : {} });
      expect(res.status).toBe(401);
    },
  );
});

describe("someone else's thread is a 404", () => {
  const practitionerCalls = (id: string) =>
    [
      ['GET', `/v1/practitioner/threads/${id}`, undefined],
      ['POST', `/v1/practitioner/threads/${id}/messages`, { body: 'x' }],
      ['POST', `/v1/practitioner/threads/${id}/treat`, undefined],
      ['POST', `/v1/practitioner/threads/${id}/read`, undefined],
    ] as const;
  const patientCalls = (id: string) =>
    [
      ['GET', `/v1/patient/threads/${id}`, undefined],
      ['POST', `/v1/patient/threads/${id}/messages`, { body: 'x' }],
      ['POST', `/v1/patient/threads/${id}/read`, undefined],
    ] as const;

  it('for another practitioner and another patient, on every thread route', async () => {
    const otherDoc = await t.as('dr-other', 'practitioner');
    const otherPat = await t.as('pat-other', 'patient');
    for (const [method, path, body] of practitionerCalls(threadId)) {
      const res = await otherDoc.request(method, path, { body });
      expect({ path, status: res.status, code: res.body?.error?.code }).toEqual({
        path,
        status: 404,
        code: 'NOT_FOUND',
      });
    }
    for (const [method, path, body] of patientCalls(threadId)) {
      const res = await otherPat.request(method, path, { body });
      expect({ path, status: res.status, code: res.body?.error?.code }).toEqual({
        path,
        status: 404,
        code: 'NOT_FOUND',
      });
    }
    expect((await otherDoc.get('/v1/practitioner/patients/pat-owner')).status).toBe(404);
    expect((await otherDoc.get('/v1/practitioner/threads')).body.items).toEqual([]);
    expect((await otherPat.get('/v1/patient/threads')).body.items).toEqual([]);
  });

  it('and the owner gets 2xx on the same routes', async () => {
    for (const [method, path] of practitionerCalls(threadId).filter(([m]) => m === 'GET')) {
      expect((await owner.doc.request(method, path)).status).toBe(200);
    }
    expect((await owner.pat.get(`/v1/patient/threads/${threadId}`)).status).toBe(200);
    expect((await owner.doc.get('/v1/practitioner/summary')).body.untreatedMessages).toBe(1);
  });
});
