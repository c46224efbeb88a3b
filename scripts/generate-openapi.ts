/**
 * `npm run openapi`: writes openapi.json from the route table and the handlers'
 * zod schemas (see scripts/openapi-document.ts). `npm run openapi -- --check`
 * only compares and exits 1 when the committed file is stale.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { buildOpenApiDocument, OPENAPI_FILE, serializeOpenApi } from './openapi-document.ts';

const document = await buildOpenApiDocument();
const text = serializeOpenApi(document);
const shown = relative(process.cwd(), OPENAPI_FILE) || OPENAPI_FILE;
const operations = Object.values(document.paths as Record<string, object>).reduce(
  (n, ops) => n + Object.keys(ops).length,
  0,
);

if (process.argv.includes('--check')) {
  const current = existsSync(OPENAPI_FILE) ? readFileSync(OPENAPI_FILE, 'utf8') : '';
  if (current !== text) {
    process.stderr.write(`${shown} is stale: run \`npm run openapi\` and commit it.\n`);
    process.exit(1);
  }
  process.stdout.write(`${shown} is up to date (${operations} operations).\n`);
} else {
  writeFileSync(OPENAPI_FILE, text);
  process.stdout.write(`wrote ${shown}: ${operations} operations.\n`);
}
// The handler modules leave SDK/Powertools handles open; nothing else is pending.
process.exit(0);
