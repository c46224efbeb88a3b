/**
 * The typed client (clients/typescript) is generated from openapi.json: it must be
 * regenerated whenever the document changes (`npm run client`), or integrators get
 * types of an API that no longer exists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLIENT = join(import.meta.dirname, '..', '..', 'clients', 'typescript');
const CLI = join(CLIENT, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');

describe('clients/typescript', () => {
  it('is installed (npm test runs `npm run client:install` first)', () => {
    expect(existsSync(CLI), `missing ${CLI}: run npm run client:install`).toBe(true);
  });

  it('types match openapi.json (else run `npm run client` and commit src/schema.d.ts)', () => {
    const run = () =>
      execFileSync(process.execPath, [CLI, '../../openapi.json', '--output', 'src/schema.d.ts', '--check'], {
        cwd: CLIENT,
        stdio: 'pipe',
      });
    expect(run).not.toThrow();
    // openapi-typescript takes a few seconds on the whole document (more on a busy machine).
  }, 30_000);

  it('types every operation of the document, by its path', () => {
    const schema = readFileSync(join(CLIENT, 'src', 'schema.d.ts'), 'utf8');
    const doc = JSON.parse(readFileSync(join(CLIENT, '..', '..', 'openapi.json'), 'utf8'));
    for (const path of Object.keys(doc.paths)) expect(schema).toContain(`"${path}": {`);
  });
});
