/**
 * What no route serves, after the role's authorizer (as in AWS: `ANY /v1/<role>/{proxy+}` →
 * method-not-allowed, behind that role's JWT authorizer): a known path with another method is a
 * 405 METHOD_NOT_ALLOWED with `Allow`, an unknown path the SPEC's 404.
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

  it("is behind the role's authorizer: no token or another pool's token is a 401 first", async () => {
    expect((await t.api.as(undefined).delete('/v1/patient/summary')).status).toBe(401);
    expect((await doc.delete('/v1/patient/summary')).status).toBe(401);
    expect((await pat.get('/v1/practitioner/unknown')).status).toBe(401);
  });

  it('answers an unknown path under a role with the SPEC 404, and the right method as usual', async () => {
    for (const res of [await pat.delete('/v1/patient/nowhere'), await doc.get('/v1/practitioner/a/b/c')]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: 'No such route' } });
    }
    expect((await pat.get('/v1/patient/summary')).status).toBe(200);
  });
});
