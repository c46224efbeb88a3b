/**
 * The contract check of the e2e tier: every response the tests receive from a
 * route of openapi.json must have a declared status and, when the declaration
 * has a JSON body, a body that matches its schema (JSON Schema 2020-12, with
 * ajv). A mismatch throws, so the test that made the call fails — the document
 * cannot drift from what the API answers without a red test.
 *
 * Requests to paths or methods the document does not list (the local stack's
 * /local/*, /docs, deliberately unknown routes) are not checked here: the
 * tests that send them assert the answer themselves.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';

// biome-ignore lint/suspicious/noExplicitAny: the parsed document
type Json = any;

const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const OPENAPI: Json = JSON.parse(readFileSync(join(REPO_ROOT, 'openapi.json'), 'utf8'));

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  /** Literal segments first, as the router matches: /threads/summary before /threads/{id}. */
  specificity: string;
  responses: Record<string, Json>;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const OPERATIONS: Operation[] = Object.entries(OPENAPI.paths as Record<string, Record<string, Json>>)
  .flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      template,
      pattern: new RegExp(
        `^${template
          .split('/')
          .map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : escapeRegExp(s)))
          .join('/')}$`,
      ),
      specificity: template
        .split('/')
        .map((s) => (s.startsWith('{') ? '1' : '0'))
        .join(''),
      responses: op.responses,
    })),
  )
  .sort((a, b) => a.specificity.localeCompare(b.specificity));

const ajv = new Ajv2020({ strict: false, allErrors: true });
// CommonJS: the plugin is the module itself and its `default`.
formats.default(ajv);
ajv.addSchema(OPENAPI, 'openapi.json');

const pointer = (...parts: string[]) =>
  parts.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

const resolveRef = (value: Json): Json => {
  if (!value || typeof value.$ref !== 'string') return value;
  const path = value.$ref.replace(/^#\//, '').split('/');
  return path.reduce((node: Json, key: string) => node[key.replace(/~1/g, '/').replace(/~0/g, '~')], OPENAPI);
};

/** The operation a request reaches, as API Gateway routes it; undefined when the document has none. */
export const operationOf = (method: string, path: string): Operation | undefined =>
  OPERATIONS.find((op) => op.method === method.toUpperCase() && op.pattern.test(path));

export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

/**
 * Throws a ContractViolation when the answer is not what openapi.json declares for this
 * method and path. `body` is the parsed JSON (null when empty).
 */
export const assertDeclaredResponse = (
  method: string,
  path: string,
  status: number,
  contentType: string | null,
  body: unknown,
): void => {
  const op = operationOf(method, path);
  if (!op) return;
  const where = `${method.toUpperCase()} ${op.template} → ${status}`;
  const declared = op.responses[String(status)];
  if (!declared) {
    throw new ContractViolation(
      `${where}: status not declared in openapi.json (declared: ${Object.keys(op.responses).join(', ')})`,
    );
  }
  const response = resolveRef(declared);
  const content = response.content?.['application/json'];
  if (!content) {
    if (body !== null && body !== '')
      throw new ContractViolation(`${where}: declared without a body, got one`);
    return;
  }
  if (!contentType?.startsWith('application/json')) {
    throw new ContractViolation(`${where}: declared JSON, got content-type ${contentType ?? '(none)'}`);
  }
  const ref = declared.$ref
    ? `openapi.json${declared.$ref}/content/application~1json/schema`
    : `openapi.json#/${pointer('paths', op.template, op.method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema')}`;
  const validate = ajv.getSchema(ref);
  if (!validate) throw new ContractViolation(`${where}: no schema at ${ref}`);
  if (!validate(body)) {
    const problems = (validate.errors ?? [])
      .slice(0, 5)
      .map((e: { instancePath: string; message?: string }) => `${e.instancePath || '/'} ${e.message}`)
      .join('; ');
    throw new ContractViolation(`${where}: body does not match openapi.json: ${problems}`);
  }
};
