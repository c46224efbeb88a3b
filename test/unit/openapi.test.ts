import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { routeKey } from '../../shared/function-model/declaration.ts';
import { httpRoutes } from '../../shared/function-model/triggers.ts';

const ROUTES = httpRoutes(FUNCTIONS);

import {
  buildOpenApiDocument,
  OPENAPI_FILE,
  type OpenApiDocument,
  serializeOpenApi,
} from '../../scripts/openapi-document.ts';
import { STATUS_BY_CODE } from '../../shared/http/errors.ts';

let doc: OpenApiDocument;

beforeAll(async () => {
  doc = await buildOpenApiDocument();
}, 60_000);

const operation = (method: string, path: string) => doc.paths[path]?.[method.toLowerCase()];

describe('openapi.json', () => {
  it('is up to date with the routes and their zod schemas (on failure: run `npm run openapi` and commit)', () => {
    expect(existsSync(OPENAPI_FILE), 'openapi.json is missing: run `npm run openapi`').toBe(true);
    const committed = readFileSync(OPENAPI_FILE, 'utf8');
    expect(
      committed === serializeOpenApi(doc),
      'openapi.json is stale: run `npm run openapi` and commit it',
    ).toBe(true);
  });

  it('is an OpenAPI 3.1 document with one operation per route, and nothing else', () => {
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it.each(ROUTES.map((r) => [routeKey(r), r] as const))(
    '%s: bearer JWT, role tag, error envelope',
    (_, route) => {
      const op = operation(route.method, route.path);
      expect(op.security).toEqual([{ bearerJwt: [] }]);
      expect(op.tags).toEqual([route.role]);
      expect(op.responses['401']).toEqual({ $ref: '#/components/responses/Error401' });
      expect(op.responses['403']).toEqual({ $ref: '#/components/responses/Error403' });
      // Exactly the success statuses the declaration lists (e.g. 201 sent and 202 scheduled).
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      expect(success.sort()).toEqual(Object.keys(route.responses).sort());
      const pathParams = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const documentedPathParams = (op.parameters ?? [])
        .filter((p: { in: string }) => p.in === 'path')
        .map((p: { name: string }) => p.name);
      expect(documentedPathParams.sort()).toEqual(pathParams.sort());
    },
  );

  it('uses the bearer JWT scheme and every SPEC error code with its status', () => {
    expect(doc.components.securitySchemes.bearerJwt).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    expect(doc.components.schemas.Error.properties.error.required).toEqual(['code', 'message']);
    for (const [code, status] of Object.entries(STATUS_BY_CODE)) {
      expect(doc.components.schemas.Error.properties.error.properties.code.enum).toContain(code);
      // 405 and 431 belong to no operation (a method a path does not list; headers over the server's
      // limit, refused before routing): described in info.
      if (code === 'METHOD_NOT_ALLOWED' || code === 'HEADERS_TOO_LARGE') {
        expect(doc.info.description).toContain(`${status} ${code}`);
        continue;
      }
      const response = doc.components.responses[`Error${status}`];
      expect(response, `Error${status}`).toBeDefined();
      const schema = response.content['application/json'].schema;
      // 500 is also API Gateway's own `{"message"}` (a crashed function never answers itself).
      const ours = status === 500 ? schema.anyOf[0] : schema;
      const codes = ours.allOf[1].properties.error.properties.code.enum;
      expect(codes).toContain(code);
    }
  });

  it("declares API Gateway's own answers: 500 either shape, 503 on every route", () => {
    expect(doc.components.responses.Error500.content['application/json'].schema.anyOf[1]).toEqual({
      $ref: '#/components/schemas/GatewayError',
    });
    for (const methods of Object.values(doc.paths) as Array<Record<string, { responses: object }>>) {
      for (const op of Object.values(methods)) {
        expect(op.responses).toHaveProperty('503', { $ref: '#/components/responses/Error503' });
      }
    }
  });

  it('describes request bodies from the handlers’ strict zod schemas', () => {
    const start = operation('POST', '/v1/patient/threads');
    const schema = start.requestBody.content['application/json'].schema;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['practitionerId', 'body']));
    expect(schema.properties.body).toMatchObject({ type: 'string', minLength: 1, maxLength: 5000 });
    expect(start.responses['201']).toBeDefined();
    expect(start.responses['413']).toEqual({ $ref: '#/components/responses/Error413' });
  });

  it('describes query parameters with their limits and defaults', () => {
    const inbox = operation('GET', '/v1/practitioner/threads');
    const byName = Object.fromEntries(
      inbox.parameters.map((p: { name: string; in: string; schema: unknown }) => [p.name, p]),
    );
    expect(byName.filter.in).toBe('query');
    expect(byName.filter.schema.enum).toEqual(['all', 'open', 'closed', 'untreated']);
    expect(byName.limit.schema).toMatchObject({ minimum: 1, maximum: 100, default: 20 });
    expect(byName.cursor.required).toBe(false);
  });
});
