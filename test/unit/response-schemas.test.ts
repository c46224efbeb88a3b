/**
 * The response schemas (shared/http/view-schemas.ts): every route declares its
 * bodies by name, each name has a realistic example that its schema accepts,
 * the views the use cases build parse with them, and no success response of
 * openapi.json is left as "some object" (issue 14: it was the case for all 36).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { OPENAPI_FILE } from '../../scripts/openapi-document.ts';
import type { Message, Thread } from '../../shared/domain/types.ts';
import { patientMessageView, practitionerMessageView } from '../../shared/domain/views.ts';
import { httpFunction, routeKey } from '../../shared/function-model/declaration.ts';
import { httpRoutes } from '../../shared/function-model/triggers.ts';
import { responses } from '../../shared/http/response-schemas.ts';
import { httpRoute, withStatus } from '../../shared/http/route.ts';
import { responseExamples } from '../../shared/http/view-examples.ts';
import {
  patientMessageSchema,
  practitionerMessageSchema,
  type ResponseSchemaName,
  responseSchemas,
  viewRegistry,
} from '../../shared/http/view-schemas.ts';
import * as z from '../../shared/validation.ts';

// biome-ignore lint/suspicious/noExplicitAny: the parsed document
type Json = any;

const ROUTES = httpRoutes(FUNCTIONS);
const NAMES = Object.keys(responseSchemas) as ResponseSchemaName[];

describe('response schemas', () => {
  it('one per name the declarations use, and every name has one', () => {
    expect(Object.keys(responses).sort()).toEqual([...NAMES].sort());
    for (const name of NAMES) expect(responses[name]).toBe(name);
  });

  it.each(ROUTES.map((r) => [routeKey(r), r] as const))(
    '%s declares its bodies by name (a schema would be bundled with the Lambda)',
    (_, route) => {
      for (const declared of Object.values(route.responses)) {
        expect(declared === null || (typeof declared === 'string' && declared in responseSchemas)).toBe(true);
      }
    },
  );

  it.each(NAMES)('%s: its example parses as it is (nothing unknown, nothing missing)', (name) => {
    const schema = responseSchemas[name];
    const result = z.safeParse(schema, responseExamples[name]);
    expect(result.error?.issues ?? []).toEqual([]);
    expect(result.data).toEqual(responseExamples[name]);
  });

  it.each(NAMES)('%s: has a name in components.schemas', (name) => {
    expect(viewRegistry.get(responseSchemas[name])?.id).toMatch(/^[A-Z][A-Za-z]+$/);
  });

  it('refuses what the views never answer: an unknown key, a body on a tombstone, a null where none is', () => {
    const created = responseExamples.practitionerMessageCreated;
    expect(z.safeParse(responseSchemas.practitionerMessageCreated, { ...created, extra: 1 }).success).toBe(
      false,
    );
    expect(
      z.safeParse(responseSchemas.practitionerMessageCreated, {
        ...created,
        message: { ...created.message, retracted: true, retractedAt: null },
      }).success,
    ).toBe(false);
    expect(
      z.safeParse(responseSchemas.settings, { ...responseExamples.settings, timezone: null }).success,
    ).toBe(false);
    expect(
      z.safeParse(responseSchemas.scheduledMessage, {
        ...responseExamples.scheduledMessage,
        sendAt: '2024-05-15 09:30',
      }).success,
    ).toBe(false);
  });
});

describe('handlers are checked against their declared responses at compile time', () => {
  const declaration = httpFunction({
    name: 'test-typed-route',
    summary: 'A route of this test',
    method: 'POST',
    path: '/x',
    role: 'practitioner',
    responses: { 201: responses.templatePreview, 202: responses.patientSummary },
    access: {},
  });

  // Never called: `tsc --noEmit` checks each line (an unused @ts-expect-error is itself an error).
  const typeChecks = () => [
    httpRoute(declaration, async () => ({ body: 'Bonjour Lucas' })),
    httpRoute(declaration, async () => withStatus(202, { unreadMessages: 1 })),
    // @ts-expect-error 203 is not a declared status
    httpRoute(declaration, async () => withStatus(203, { body: 'Bonjour Lucas' })),
    // @ts-expect-error 202 answers a PatientSummary, not a TemplatePreview
    httpRoute(declaration, async () => withStatus(202, { body: 'Bonjour Lucas' })),
    // @ts-expect-error the default status (201) answers a TemplatePreview
    httpRoute(declaration, async () => ({ unreadMessages: 1 })),
    // @ts-expect-error a field of the wrong type
    httpRoute(declaration, async () => ({ body: 42 })),
  ];

  it('(see the @ts-expect-error lines)', () => {
    expect(typeChecks).toBeTypeOf('function');
  });
});

describe('views parse with their schemas', () => {
  const thread = {
    id: 'th-1',
    practitionerId: 'prac-1',
    patientId: 'pat-1',
    patientReadMarks: [],
  } as unknown as Thread;
  const message = (over: Partial<Message>): Message => ({
    id: 'msg-1',
    threadId: 'th-1',
    practitionerId: 'prac-1',
    patientId: 'pat-1',
    sender: 'practitioner',
    body: 'Bonjour, les résultats sont normaux.',
    sentAt: '2024-05-13T10:05:44.907Z',
    replyPolicy: 'single',
    ...over,
  });

  it.each([
    ['a practitioner message', message({})],
    ['a patient message', message({ sender: 'patient', replyPolicy: null })],
    ['a retracted message', message({ body: '', retracted: true, retractedAt: '2024-05-13T10:06:31.402Z' })],
    ['a message retracted before retractedAt was kept', message({ body: '', retracted: true })],
  ])('%s, in both views', (_, m) => {
    const practitioner = z.safeParse(practitionerMessageSchema, practitionerMessageView(thread, m, null));
    expect(practitioner.error?.issues ?? []).toEqual([]);
    const patient = z.safeParse(patientMessageSchema, patientMessageView(m));
    expect(patient.error?.issues ?? []).toEqual([]);
  });

  it('a tombstone never carries a body', () => {
    const view = patientMessageView(message({ body: '', retracted: true, retractedAt: null }));
    expect(view).not.toHaveProperty('body');
    expect(view).toMatchObject({ retracted: true, retractedAt: null });
  });
});

describe('openapi.json success responses', () => {
  const doc: Json = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'));
  const resolve = (schema: Json): Json => {
    if (typeof schema?.$ref !== 'string') return schema;
    const name = /^#\/components\/schemas\/(.+)$/.exec(schema.$ref)?.[1];
    const target = name ? doc.components.schemas[name] : undefined;
    if (!target) throw new Error(`Dangling $ref ${schema.$ref}`);
    return resolve(target);
  };

  /** Where a schema (or one of its branches) is an object that says nothing of its properties. */
  const unconstrainedObjects = (schema: Json, path: string, seen = new Set<Json>()): string[] => {
    const resolved = resolve(schema);
    if (!resolved || typeof resolved !== 'object' || seen.has(resolved)) return [];
    seen.add(resolved);
    const found: string[] = [];
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
      for (const [i, branch] of (resolved[key] ?? []).entries()) {
        found.push(...unconstrainedObjects(branch, `${path}/${key}/${i}`, seen));
      }
    }
    if (resolved.type === 'object' || (resolved.properties && !resolved.type)) {
      const properties = Object.keys(resolved.properties ?? {});
      const closed = resolved.additionalProperties === false;
      const typedValues =
        typeof resolved.additionalProperties === 'object' &&
        Object.keys(resolved.additionalProperties).length > 0;
      if (!(properties.length > 0 && closed) && !typedValues) found.push(path);
      for (const [key, value] of Object.entries(resolved.properties ?? {})) {
        found.push(...unconstrainedObjects(value, `${path}/${key}`, seen));
      }
    }
    if (resolved.type === 'array') found.push(...unconstrainedObjects(resolved.items, `${path}[]`, seen));
    if (!resolved.type && !resolved.anyOf && !resolved.oneOf && !resolved.allOf && !resolved.$ref) {
      if (Object.keys(resolved).filter((k) => k !== 'description').length === 0) found.push(`${path} (any)`);
    }
    return found;
  };

  const successes = Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(
    ([path, operations]) =>
      Object.entries(operations).flatMap(([method, op]) =>
        Object.entries(op.responses as Record<string, Json>)
          .filter(([status]) => status.startsWith('2'))
          .map(([status, response]) => [`${method.toUpperCase()} ${path} ${status}`, response] as const),
      ),
  );

  it('lists every success response (36 with a body at the time of issue 14)', () => {
    expect(successes.filter(([, r]) => r.content).length).toBeGreaterThanOrEqual(36);
  });

  it.each(successes)(
    '%s: a closed object with its properties, at every level, and an example',
    (_, response) => {
      if (!response.content) {
        expect(response.description).toMatch(/no content/);
        return;
      }
      const media = response.content['application/json'];
      expect(media.schema.$ref, 'a named schema (components.schemas)').toMatch(/^#\/components\/schemas\//);
      expect(unconstrainedObjects(media.schema, 'body')).toEqual([]);
      expect(Object.keys(media.examples ?? {})).toHaveLength(1);
    },
  );

  it('the check catches the document of issue 14', () => {
    expect(
      unconstrainedObjects({ type: 'object', properties: {}, additionalProperties: {} }, 'body'),
    ).toEqual(['body']);
    expect(unconstrainedObjects({ type: 'object' }, 'body')).toEqual(['body']);
  });
});
