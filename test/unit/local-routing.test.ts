import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { httpRoutes } from '../../shared/function-model/triggers.ts';

const ROUTES = httpRoutes(FUNCTIONS);

import { createRouter } from '../../local/routing.ts';

const route = (method: string, path: string, name = `${method} ${path}`) => ({ method, path, name });

describe('local route matching (like API Gateway HTTP API)', () => {
  const router = createRouter([
    route('GET', '/v1/threads'),
    route('POST', '/v1/threads'),
    route('GET', '/v1/threads/{threadId}'),
    route('GET', '/v1/threads/summary'),
    route('DELETE', '/v1/threads/{threadId}/messages/{messageId}'),
  ]);

  it('matches literal paths without pathParameters', () => {
    expect(router.match('GET', '/v1/threads')).toEqual({
      route: route('GET', '/v1/threads'),
      pathParameters: undefined,
    });
  });

  it('extracts {param} segments', () => {
    expect(router.match('DELETE', '/v1/threads/t-1/messages/m-2')?.pathParameters).toEqual({
      threadId: 't-1',
      messageId: 'm-2',
    });
  });

  it('prefers a literal segment over a parameter, whatever the declaration order', () => {
    expect(router.match('GET', '/v1/threads/summary')?.route.name).toBe('GET /v1/threads/summary');
    expect(router.match('GET', '/v1/threads/other')?.route.name).toBe('GET /v1/threads/{threadId}');
  });

  it('does not match a wrong method, a trailing slash, an empty parameter or extra segments', () => {
    expect(router.match('PUT', '/v1/threads')).toBeUndefined();
    expect(router.match('GET', '/v1/threads/')).toBeUndefined();
    expect(router.match('DELETE', '/v1/threads//messages/m')).toBeUndefined();
    expect(router.match('GET', '/v1/threads/t/extra')).toBeUndefined();
    expect(router.match('GET', '/V1/threads')).toBeUndefined();
  });

  it('refuses duplicate routes and malformed paths at startup', () => {
    expect(() => createRouter([route('GET', '/a/{x}'), route('GET', '/a/{y}')])).toThrow(/Duplicate route/);
    expect(() => createRouter([route('GET', 'a')])).toThrow(/must start with/);
    expect(() => createRouter([route('GET', '/a/{x}/{x}')])).toThrow(/Duplicate path parameter/);
    expect(() => createRouter([route('GET', '/a/{proxy+}/b')])).toThrow(/must be the last segment/);
    expect(() => createRouter([route('GET', '/a/{x+y}')])).toThrow(/Unsupported path segment/);
  });

  it('prefers the exact method, then ANY, and a greedy {proxy+} only when nothing else matches', () => {
    const get = route('GET', '/v1/p/items/{id}');
    const any = route('ANY', '/v1/p/{proxy+}');
    const router = createRouter([any, get]);
    expect(router.match('GET', '/v1/p/items/7')?.route).toBe(get);
    expect(router.match('DELETE', '/v1/p/items/7')).toEqual({
      route: any,
      pathParameters: { proxy: 'items/7' },
    });
    expect(router.match('GET', '/v1/p/unknown/deep/path')?.pathParameters).toEqual({
      proxy: 'unknown/deep/path',
    });
    expect(router.match('GET', '/v1/p')).toBeUndefined();
    expect(router.match('GET', '/v1/p/')).toBeUndefined();
    expect(router.match('GET', '/v2/p/items/7')).toBeUndefined();
  });

  it('routes every real route to itself with the given parameter values', () => {
    const real = createRouter(ROUTES);
    const literals = new Set(ROUTES.flatMap((r) => r.path.split('/')));
    const segment = fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/).filter((v) => !literals.has(v));
    fc.assert(
      fc.property(
        fc.constantFrom(...ROUTES),
        fc.array(segment, { minLength: 4, maxLength: 4 }),
        (r, values) => {
          const expected: Record<string, string> = {};
          let i = 0;
          const path = r.path.replace(/\{(\w+)\}/g, (_, name: string) => {
            expected[name] = values[i++] ?? 'x';
            return expected[name];
          });
          const match = real.match(r.method, path);
          expect(match?.route).toBe(r);
          expect(match?.pathParameters ?? {}).toEqual(expected);
        },
      ),
    );
  });
});
