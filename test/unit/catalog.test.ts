/**
 * The function catalog (functions/catalog.ts) and its declarations: every
 * function folder is declared once, every handler is built from its own
 * declaration with exactly the adapters it calls for, and the declarations
 * are consistent with each other.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { ATTACHMENT_ENV, ENV, PERSONAL_DATA_ENV, REALTIME_ENV } from '../../shared/config.ts';
import { ITEM_KINDS } from '../../shared/db/keys.ts';
import { INDEXES } from '../../shared/db/table-definition.ts';
import { defaultStatus, routeKey } from '../../shared/function-model/declaration.ts';
import { permissionsFor, serviceResources } from '../../shared/function-model/permissions.ts';
import { eventRules, httpRoutes, schedules } from '../../shared/function-model/triggers.ts';

const FUNCTIONS_DIR = fileURLToPath(new URL('../../functions/', import.meta.url));
const folders = readdirSync(FUNCTIONS_DIR).filter((name) =>
  statSync(join(FUNCTIONS_DIR, name)).isDirectory(),
);
const byName = new Map(FUNCTIONS.map((f) => [f.name, f]));

describe('the catalog', () => {
  it('declares every function folder exactly once, under its folder name', () => {
    expect(FUNCTIONS.map((f) => f.name).sort()).toEqual([...folders].sort());
    expect(new Set(FUNCTIONS.map((f) => f.name)).size).toBe(FUNCTIONS.length);
  });

  it('has one route per method and path, and unique rule and schedule names', () => {
    const keys = httpRoutes(FUNCTIONS).map(routeKey);
    expect(new Set(keys).size).toBe(keys.length);
    const names = [...eventRules(FUNCTIONS).map((r) => r.name), ...schedules(FUNCTIONS).map((s) => s.name)];
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('each declaration', () => {
  it.each(httpRoutes(FUNCTIONS).map((f) => [routeKey(f), f] as const))('%s is consistent', (_, f) => {
    expect(f.summary.length).toBeGreaterThan(10);
    const statuses = Object.keys(f.responses).map(Number);
    expect(statuses.length).toBeGreaterThan(0);
    for (const status of statuses) expect(status >= 200 && status < 300, `${status}`).toBe(true);
    // Every POST that creates something (201 or 202) is safe to retry with an Idempotency-Key.
    if (f.method === 'POST' && statuses.some((s) => s === 201 || s === 202)) expect(f.idempotent).toBe(true);
    // A route that records a practitioner-level change must be allowed to append to the audit trail.
    if (f.auditAs) expect(f.access.table?.appendsAudit).toBe(true);
    expect(f.path.startsWith(`/v1/${f.role}/`)).toBe(true);
    expect(defaultStatus(f)).toBe(Math.min(...statuses));
  });

  it.each(FUNCTIONS.map((f) => [f.name, f] as const))('%s names only real item kinds and indexes', (_, f) => {
    const kinds = Object.keys(ITEM_KINDS);
    for (const kind of [...(f.access.table?.read ?? []), ...(f.access.table?.write ?? [])]) {
      expect(kinds).toContain(kind);
    }
    // The audit trail is written through appendsAudit only (Put, never Update/Delete).
    expect(f.access.table?.write ?? []).not.toContain('audit');
    for (const index of f.access.table?.indexes ?? []) expect(INDEXES.map((i) => i.name)).toContain(index);
    expect(() =>
      permissionsFor(
        f,
        serviceResources({
          partition: 'aws',
          region: 'eu-west-3',
          accountId: '000000000000',
          tableName: 't',
          idempotencyTableName: 't-idempotency',
          busName: 'b',
          senderAddress: 'a@b.c',
          configurationSetName: 'c',
        }),
      ),
    ).not.toThrow();
  });
});

describe('each handler', () => {
  beforeAll(() => {
    // What the stack sets: handlers build their dependencies when loaded (cold start) and fail on a missing variable.
    Object.assign(process.env, {
      [ENV.tableName]: 'catalog-test',
      [ENV.eventBusName]: 'patient-messaging',
      [ENV.appBaseUrl]: 'https://app.test.invalid',
      [ENV.idempotencyTableName]: 'catalog-test-idempotency',
      [ENV.sesFromAddress]: 'no-reply@example.com',
      [PERSONAL_DATA_ENV.exportBucketName]: 'catalog-test-exports',
      [ATTACHMENT_ENV.bucketName]: 'catalog-test-attachments',
      [ATTACHMENT_ENV.malwareScan]: 'required',
      [ENV.auditBucketName]: 'catalog-test-audit',
      [REALTIME_ENV.managementEndpoint]: 'https://ws.test.invalid/dev',
      [REALTIME_ENV.authPools]: JSON.stringify({
        patients: {
          issuer: 'https://idp.test.invalid/p',
          audience: 'p',
          jwksUrl: 'https://idp.test.invalid/p/jwks',
        },
      }),
      AWS_REGION: 'eu-west-3',
    });
  });

  it.each(folders)(
    '%s loads, built from its own declaration with exactly the adapters it declares',
    async (name) => {
      // A mismatch (idempotent without the adapter, an email sender without the mailer, an event its rule does
      // not deliver) throws here, at load, as it would at a Lambda cold start.
      const module = (await import(pathToFileURL(join(FUNCTIONS_DIR, name, 'handler.ts')).href)) as {
        handler: { declaration?: unknown };
      };
      expect(typeof module.handler).toBe('function');
      const declaration = byName.get(name);
      if (declaration?.trigger === 'http') expect(module.handler.declaration).toBe(declaration);
    },
  );
});
