import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_FILE } from '../../scripts/openapi-document.ts';
import { startTestApi, type TestApi } from '../support/index.ts';

/** The API reference the local stack serves (local/docs.ts): offline, from the committed document. */
let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t?.stop());

const get = (path: string) => fetch(`${t.baseUrl}${path}`);

describe('API reference', () => {
  it('serves the committed openapi.json, naming this stack (its real port) as the server', async () => {
    const res = await get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const served = (await res.json()) as Record<string, unknown>;
    const committed = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'));
    expect(committed.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    expect(served.servers).toEqual([{ url: t.baseUrl.replace(/\/$/, ''), description: expect.any(String) }]);
    expect({ ...served, servers: committed.servers }).toEqual(committed);
  });

  it('serves /docs as a Swagger UI page whose assets all come from this server', async () => {
    const res = await get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain("url: '/openapi.json'");
    expect(html).toContain('validatorUrl: null');
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.filter((a) => /^(https?:)?\/\//.test(a))).toEqual([]);
    for (const asset of assets.filter((a) => a.startsWith('/docs/assets/'))) {
      const served = await get(asset);
      expect(served.status, asset).toBe(200);
      expect((await served.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }
    expect(assets).toContain('/docs/assets/swagger-ui-bundle.js');
  });

  it('serves only the listed assets (no path traversal)', async () => {
    for (const path of [
      '/docs/assets/..%2Fpackage.json',
      '/docs/assets/package.json',
      '/docs/assets/%2e%2e/%2e%2e/README.md',
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
  });
});
