import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { routeKey, USER_POOL_OF_ROLE } from '../../shared/function-model/declaration.ts';
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
      const caller = await t.as(
        'someone',
        USER_POOL_OF_ROLE[route.role] === 'professionals' ? 'patient' : 'practitioner',
      );
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
      // Practitioner routes: an assistant token is the other role of the pool, tested under a grant below.
      const otherRole =
        route.role === 'practitioner' ? 'patient' : route.role === 'assistant' ? 'practitioner' : 'assistant';
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

/**
 * Practice teams (SPEC 11.2): every scoped practitioner route × every kind of
 * caller. Run last: the writes it sends (with an empty body, so mostly 400s past
 * the checks) may change the owner's data. A "leak" is any answer other than the
 * one the caller's position allows, or a body naming the owner's thread for
 * someone who may not see it.
 */
describe('assistant × scope × route', () => {
  const SCOPED = ROUTES.filter((route) => route.scope !== undefined);
  const ALL_SCOPES = ['inbox', 'patients', 'settings'] as const;

  it('answers each caller as its grant allows, with 0 leaks', async () => {
    const other = await t.as('dr-other-team', 'practitioner');
    const grant = (doc: ApiClient, assistantId: string, scopes: readonly string[]) =>
      doc.put(`/v1/practitioner/delegates/${assistantId}`, { displayName: assistantId, scopes });
    expect((await grant(owner.doc, 'asst-full', ALL_SCOPES)).status).toBe(201);
    for (const scope of ALL_SCOPES) {
      const rest = ALL_SCOPES.filter((s) => s !== scope);
      expect((await grant(owner.doc, `asst-no-${scope}`, rest)).status).toBe(201);
    }
    expect((await grant(owner.doc, 'asst-revoked', ALL_SCOPES)).status).toBe(201);
    expect((await owner.doc.delete('/v1/practitioner/delegates/asst-revoked')).status).toBe(204);
    expect((await grant(other, 'asst-foreign', ALL_SCOPES)).status).toBe(201);

    const onBehalfOf = (id: string) => ({ 'On-Behalf-Of': id });
    const assistant = async (sub: string) => t.as(sub, 'assistant');
    const leaks: unknown[] = [];
    let cells = 0;
    for (const route of SCOPED) {
      const path = concretePath(route.path);
      const call = (client: ApiClient, headers: Record<string, string> = {}) =>
        client.request(route.method, path, { body: route.method === 'GET' ? undefined : {}, headers });
      const scope = route.scope as (typeof ALL_SCOPES)[number];
      const ownerAnswer = await call(owner.doc);
      const expectations: Array<
        [string, Promise<{ status: number; text: string }>, (status: number) => boolean, boolean]
      > = [
        // [caller, answer, allowed status, may it see the owner's thread?]
        ['owner', Promise.resolve(ownerAnswer), (s) => s !== 401 && s !== 403, true],
        [
          'assistant with the scope',
          call(await assistant('asst-full'), onBehalfOf('dr-owner')),
          (s) => s !== 401 && s !== 403,
          true,
        ],
        [
          'assistant without the scope',
          call(await assistant(`asst-no-${scope}`), onBehalfOf('dr-owner')),
          (s) => s === 403,
          false,
        ],
        [
          'revoked assistant',
          call(await assistant('asst-revoked'), onBehalfOf('dr-owner')),
          (s) => s === 403,
          false,
        ],
        [
          "another practitioner's assistant, naming the owner",
          call(await assistant('asst-foreign'), onBehalfOf('dr-owner')),
          (s) => s === 403,
          false,
        ],
        [
          "another practitioner's assistant, for them",
          call(await assistant('asst-foreign'), onBehalfOf('dr-other-team')),
          (s) => s !== 401 && s !== 403,
          false,
        ],
        ['another practitioner', call(other), (s) => s !== 401 && s !== 403, false],
        ['an assistant naming no one', call(await assistant('asst-full')), (s) => s === 403, false],
        ['patient token', call(owner.pat, onBehalfOf('dr-owner')), (s) => s === 401, false],
      ];
      for (const [caller, answer, allowed, maySee] of expectations) {
        const { status, text } = await answer;
        cells += 1;
        const seesThread = text.includes(threadId);
        if (!allowed(status) || (!maySee && seesThread)) {
          leaks.push({ route: routeKey(route), caller, status, seesThread });
        }
      }
    }
    expect(leaks).toEqual([]);
    expect(cells).toBe(SCOPED.length * 9);
  });
});
