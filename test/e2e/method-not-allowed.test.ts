/**
 * A known path called with a method it does not route: 405 METHOD_NOT_ALLOWED with `Allow`,
 * after the path's authorizer (as in AWS: `ANY <path>` → method-not-allowed, behind the same
 * JWT authorizer as the path's routes). An unknown path stays a 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, startTestApi, type TestApi } from '../support/index.ts';

let t: TestApi;
let doc: ApiClient;
let pat: ApiClient;

beforeAll(async () => {
  t = await startTestApi();
  doc = await t.as('dr-405', 'practitioner');
  pat = await t.as('pat-405', 'patient');
});
afterAll(() => t?.stop());

describe('a wrong method on a known path', () => {
  it('answers 405 with Allow listing the methods of that path', async () => {
    const res = await pat.delete('/v1/patient/summary');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    expect(res.body).toEqual({
      error: { code: 'METHOD_NOT_ALLOWED', message: 'DELETE is not served here; use GET' },
    });
  });

  it('lists every method of a path with several, for any id in it', async () => {
    const res = await doc.patch('/v1/practitioner/templates/tpl-1', { name: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('DELETE, GET, PUT');
  });

  it("is behind the path's authorizer: no token or another pool's token is a 401 first", async () => {
    expect((await t.api.as(undefined).delete('/v1/patient/summary')).status).toBe(401);
    expect((await doc.delete('/v1/patient/summary')).status).toBe(401);
  });

  it('leaves an unknown path a 404, and the right method served as usual', async () => {
    const unknown = await pat.delete('/v1/patient/nowhere');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
    expect((await pat.get('/v1/patient/summary')).status).toBe(200);
  });
});
