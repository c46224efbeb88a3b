/**
 * Fuzzed inputs (issue 7): generated requests across EVERY route of the
 * function declarations (functions/catalog.ts), against the local stack in-process —
 * 2,000 by default (a quick local run), 10,000 in CI (.ci/run sets FUZZ_REQUESTS=10000).
 *
 * Properties, for every answer:
 *   1. never a 5xx;
 *   2. a JSON body;
 *   3. a 4xx is the SPEC envelope {"error":{"code","message","details"?}} with a SPEC
 *      code whose status (shared/http/errors.ts) is the one answered. The only other
 *      4xx are the gateway's own answers to what never reaches a function: a path
 *      whose percent-encoding is not UTF-8, or a request line + headers over API
 *      Gateway's 10,240-byte quota (see isGatewayLevel);
 *   4. another user's thread, message, template, automation or appointment is
 *      never a success;
 *   5. a refused request changes nothing. Method: (a) per request, an SDK middleware
 *      on the functions' DynamoDB client (scripts/bench/dynamodb-meter.ts) must see no
 *      successful write, and the bus no new event or dead letter, once every
 *      delivery has settled; (b) per batch of BATCH requests, two full table Scans
 *      (test code only) may differ only in items that the batch's successful
 *      requests wrote (see closeBatch).
 *
 * Requests are sent one at a time (so (a) can attribute writes) over a raw
 * node:http socket (so paths, headers and bytes go out exactly as generated).
 * FUZZ_REQUESTS (default 2,000; CI 10,000) sets the total, FUZZ_SEED replays a run.
 */
import { Agent, request as httpRequest } from 'node:http';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import {
  type Role,
  type HttpFunctionDeclaration as RouteDefinition,
  routeKey,
  USER_POOL_OF_ROLE,
} from '../../shared/function-model/declaration.ts';
import { allowedMethods, fallbackRoutes, httpRoutes } from '../../shared/function-model/triggers.ts';

const ROUTES = httpRoutes(FUNCTIONS);

import { createDynamoMeter, type DynamoMeter, isWrite } from '../../scripts/bench/dynamodb-meter.ts';
import type { OpenApiDocument } from '../../scripts/openapi-document.ts';
import { STATUS_BY_CODE } from '../../shared/http/errors.ts';
import { assertDeclaredResponse } from '../support/contract.ts';
import { startTestApi, type TestApi, tokenFor } from '../support/index.ts';
import {
  type Caller,
  describeRequest,
  type FuzzRequest,
  isGatewayLevel,
  requestFor,
  type Seeded,
  strayRequest,
} from './fuzz-arbitraries.ts';

const TOTAL = Number(process.env.FUZZ_REQUESTS ?? 2_000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const STRAY_RUNS = Math.max(50, Math.round(TOTAL * 0.02));
const RUNS_PER_ROUTE = Math.ceil((TOTAL - STRAY_RUNS) / ROUTES.length);
const BATCH = 100;

const DR_A = 'fz-dr-a';
const DR_B = 'fz-dr-b';
const PAT_A = 'fz-pat-a';
const PAT_B = 'fz-pat-b';

let t: TestApi;
let meter: DynamoMeter;
let openapi: OpenApiDocument;
let callers: (role: Role) => fc.Arbitrary<Caller>;
const seeded: Seeded = {
  ids: {
    thread: [],
    message: [],
    patient: [],
    practitioner: [],
    template: [],
    automation: [],
    appointment: [],
    attachment: [],
  },
};
/** Who may see each owned resource (id → subjects). */
const owners = new Map<string, Set<string>>();

const stats = {
  sent: 0,
  byStatus: new Map<number, number>(),
  gatewayRefusals: 0,
  refused: 0,
  refusedCheckedByScan: 0,
  scans: 0,
  scanMs: 0,
  foreignRefused: 0,
  /** Answers checked against openapi.json (status declared, body matching its schema). */
  checkedAgainstDocument: 0,
};

// biome-ignore lint/suspicious/noExplicitAny: JSON answers
type Json = any;

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

const send = (base: URL, req: FuzzRequest): Promise<{ status: number; contentType: string; text: string }> =>
  new Promise((resolve, reject) => {
    const body =
      req.body === undefined ? undefined : typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
    const outgoing = httpRequest(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: req.method,
        path: req.query ? `${req.path}?${req.query}` : req.path,
        headers: { ...req.headers, ...(body && { 'content-length': String(body.length) }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });

/** The whole table, item by item ("pk|sk" → JSON); a Scan is fine in test code. */
const snapshot = async (): Promise<Map<string, string>> => {
  const items = new Map<string, string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await t.table.doc.send(
      new ScanCommand({ TableName: t.table.tableName, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) items.set(`${item.pk}|${item.sk}`, JSON.stringify(item));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
};

/**
 * Method (b): every BATCH requests the table is scanned and compared with the
 * previous scan. Only items that a SUCCESSFUL request of the batch wrote (keys seen
 * by the meter, its event consumers included) may differ; every other difference
 * was made by a refused request.
 */
let batchStart: Map<string, string> | undefined;
let batchRefused = 0;
let batchSize = 0;
const writtenBySuccesses = new Set<string>();

const closeBatch = async () => {
  const started = performance.now();
  const now = await snapshot();
  stats.scans += 1;
  stats.scanMs += performance.now() - started;
  if (batchStart !== undefined) {
    const before = batchStart;
    const changed = [...new Set([...before.keys(), ...now.keys()])].filter(
      (key) => before.get(key) !== now.get(key) && !writtenBySuccesses.has(key),
    );
    expect(changed, `items changed by none of the batch's successful requests`).toEqual([]);
    stats.refusedCheckedByScan += batchRefused;
  }
  batchStart = now;
  batchRefused = 0;
  batchSize = 0;
  writtenBySuccesses.clear();
};

/** In unicode mode a pair is one code point, so this matches unpaired surrogates only. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Every string of a JSON body, joined (the raw text only holds surrogates as escapes). */
const parsedText = (text: string): string => {
  try {
    const strings: string[] = [];
    JSON.parse(text, (key, value) => {
      strings.push(key);
      if (typeof value === 'string') strings.push(value);
      return value;
    });
    return strings.join('\n');
  } catch {
    return '';
  }
};

const OWNED_PARAMS = ['threadId', 'messageId', 'templateId', 'automationId', 'appointmentId', 'attachmentId'];

/** Sends one request and checks every property; returns the status. */
const exercise = async (req: FuzzRequest, operation?: Json): Promise<number> => {
  const eventsBefore = t.bus.events.length;
  const deadBefore = t.bus.deadLetters.length;
  meter.take();
  const res = await send(new URL(t.baseUrl), req);
  await t.bus.drain();
  const calls = meter.take();
  stats.sent += 1;
  stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
  const where = describeRequest(req);

  expect(res.status, `5xx for ${where}\n  answer ${res.text.slice(0, 500)}`).toBeLessThan(500);
  let body: Json;
  if (res.text !== '') {
    expect(res.contentType, `not JSON for ${where}`).toMatch(/^application\/json/);
    try {
      body = JSON.parse(res.text);
    } catch {
      expect.fail(`unparseable JSON answer for ${where}: ${res.text.slice(0, 200)}`);
    }
  }

  // Every answer a route gives is one openapi.json declares for it (status, and body schema).
  if (!isGatewayLevel(req)) {
    let decodedPath: string | undefined;
    try {
      decodedPath = decodeURIComponent(req.path);
    } catch {
      decodedPath = undefined;
    }
    if (decodedPath !== undefined) {
      try {
        assertDeclaredResponse(req.method, decodedPath, res.status, res.contentType, body ?? null);
        stats.checkedAgainstDocument += 1;
      } catch (error) {
        expect.fail(`${String(error)}\n  for ${where}\n  answer ${res.text.slice(0, 300)}`);
      }
    }
  }

  if (res.status >= 400) {
    stats.refused += 1;
    batchRefused += 1;
    if (isGatewayLevel(req) && !body?.error) {
      // Answered by the gateway before any function: its own shape ({"message"} or nothing), never a success.
      stats.gatewayRefusals += 1;
    } else {
      expect(Object.keys(body ?? {}), `not the SPEC envelope for ${where}\n  answer ${res.text}`).toEqual([
        'error',
      ]);
      const { code, message, details, ...extra } = body.error as Json;
      expect(Object.keys(extra), `extra error fields for ${where}`).toEqual([]);
      expect(Object.keys(STATUS_BY_CODE), `unknown code ${code} for ${where}`).toContain(code);
      expect(STATUS_BY_CODE[code as keyof typeof STATUS_BY_CODE], `${code} with status ${res.status}`).toBe(
        res.status,
      );
      expect(typeof message).toBe('string');
      if (details !== undefined && code === 'VALIDATION_ERROR' && Array.isArray(details)) {
        for (const d of details) {
          expect(Object.keys(d).sort(), `details shape for ${where}`).toEqual(['code', 'message', 'path']);
          expect(Array.isArray(d.path) && typeof d.message === 'string' && typeof d.code === 'string').toBe(
            true,
          );
        }
      }
    }
    const writes = calls.filter((c) => c.ok && isWrite(c));
    expect(writes, `a refused request (${res.status}) wrote to DynamoDB: ${where}`).toEqual([]);
    expect(t.bus.events.length - eventsBefore, `a refused request published events: ${where}`).toBe(0);
  } else {
    for (const call of calls) for (const key of call.keys) writtenBySuccesses.add(key);
  }
  expect(t.bus.deadLetters.slice(deadBefore), `event deliveries failed after ${where}`).toEqual([]);

  // Text that is not valid Unicode (a lone UTF-16 surrogate, only possible as a JSON escape) is never
  // accepted by a route that reads a body.
  if (
    res.status < 300 &&
    operation?.requestBody &&
    typeof req.body === 'string' &&
    LONE_SURROGATE.test(parsedText(req.body))
  ) {
    expect.fail(`a body with a lone surrogate was accepted (${res.status}): ${where}`);
  }

  // Someone else's resource is never a success.
  const sub = req.caller.sub;
  const foreign = OWNED_PARAMS.map((name) => req.params[name]).find(
    (id) => sub !== undefined && id !== undefined && owners.get(id)?.has(sub) === false,
  );
  if (foreign !== undefined) {
    expect(
      res.status,
      `${sub} got a success on another user's resource ${foreign}: ${where}`,
    ).toBeGreaterThanOrEqual(400);
    stats.foreignRefused += 1;
  }

  batchSize += 1;
  if (batchSize >= BATCH) await closeBatch();
  return res.status;
};

const own = (id: string, ...subs: string[]) => owners.set(id, new Set(subs));

const seed = async () => {
  const has = (method: string, path: string) => ROUTES.some((r) => r.method === method && r.path === path);
  const drA = await t.as(DR_A, 'practitioner');
  const drB = await t.as(DR_B, 'practitioner');
  const patA = await t.as(PAT_A, 'patient');
  const patB = await t.as(PAT_B, 'patient');
  seeded.ids.practitioner.push(DR_A, DR_B, 'fz-dr-nobody');
  seeded.ids.patient.push(PAT_A, PAT_B, 'fz-pat-nobody');
  for (const dr of [drA, drB]) {
    for (const [patientId, firstName] of [
      [PAT_A, 'Ana'],
      [PAT_B, 'Bob'],
    ]) {
      const res = await dr.put(`/v1/practitioner/patients/${patientId}`, {
        firstName,
        lastName: 'Fuzz',
        email: `${patientId}@example.org`,
      });
      expect(res.status).toBeLessThan(300);
    }
  }
  const thread = async (
    res: { status: number; body: Json },
    practitionerId: string,
    patientId: string,
  ): Promise<string> => {
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id: string = res.body.thread.id;
    seeded.ids.thread.push(id);
    own(id, practitionerId, patientId);
    seeded.ids.message.push(res.body.message.id);
    own(res.body.message.id, practitionerId, patientId);
    return id;
  };
  const aa = await thread(
    await patA.post('/v1/patient/threads', { practitionerId: DR_A, body: 'Bonjour A' }),
    DR_A,
    PAT_A,
  );
  await thread(
    await patB.post('/v1/patient/threads', { practitionerId: DR_B, body: 'Bonjour B' }),
    DR_B,
    PAT_B,
  );
  await thread(
    await patA.post('/v1/patient/threads', { practitionerId: DR_B, body: 'Bonjour B' }),
    DR_B,
    PAT_A,
  );
  await thread(
    await drA.post('/v1/practitioner/threads', {
      patientId: PAT_B,
      body: 'Message',
      replyPolicy: 'until_closed',
    }),
    DR_A,
    PAT_B,
  );
  const reply = await drA.post(`/v1/practitioner/threads/${aa}/messages`, {
    body: 'Réponse',
    replyPolicy: 'single',
  });
  expect(reply.status).toBe(201);
  seeded.ids.message.push(reply.body.message.id);
  own(reply.body.message.id, DR_A, PAT_A);

  if (has('POST', '/v1/practitioner/attachments')) {
    // A clean attachment in thread aa: uploaded to its presigned URL, checked, sent in a reply.
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(64, 0x20)]);
    const created = await drA.post('/v1/practitioner/attachments', {
      fileName: 'facture.pdf',
      contentType: 'application/pdf',
      size: pdf.length,
    });
    expect(created.status).toBe(201);
    const put = await fetch(created.body.uploadUrl, {
      method: 'PUT',
      headers: created.body.uploadHeaders,
      body: pdf,
    });
    expect(put.status).toBe(200);
    await t.bus.drain();
    const carried = await drA.post(`/v1/practitioner/threads/${aa}/messages`, {
      body: 'Facture',
      attachmentIds: [created.body.id],
    });
    expect(carried.status).toBe(201);
    seeded.ids.attachment.push(created.body.id);
    own(created.body.id, DR_A, PAT_A);
  }

  if (has('POST', '/v1/practitioner/templates')) {
    for (const [dr, sub] of [
      [drA, DR_A],
      [drB, DR_B],
    ] as const) {
      const res = await dr.post('/v1/practitioner/templates', {
        name: 'Modèle',
        body: 'Bonjour {{patient.firstName}}',
      });
      if (res.status === 201 && typeof res.body?.id === 'string') {
        seeded.ids.template.push(res.body.id);
        own(res.body.id, sub);
        if (has('POST', '/v1/practitioner/automations')) {
          const auto = await dr.post('/v1/practitioner/automations', {
            templateId: res.body.id,
            delayMinutes: 10,
          });
          if (auto.status === 201 && typeof auto.body?.id === 'string') {
            seeded.ids.automation.push(auto.body.id);
            own(auto.body.id, sub);
          }
        }
      }
    }
  }
  for (const [practitionerId, patientId, appointmentId] of [
    [DR_A, PAT_A, 'fz-appt-a'],
    [DR_B, PAT_B, 'fz-appt-b'],
  ] as const) {
    const res = await t.api.post('/local/events', {
      Source: 'agenda',
      DetailType: 'AppointmentBooked',
      Detail: {
        appointmentId,
        practitionerId,
        patientId,
        startsAt: '2030-05-14T12:30:00.000Z',
        motive: 'Consultation',
        patient: { firstName: 'Ana', lastName: 'Fuzz', email: `${patientId}@example.org` },
      },
    });
    expect(res.status).toBe(202);
    seeded.ids.appointment.push(appointmentId);
    own(appointmentId, practitionerId);
  }
  await t.bus.drain();
  expect(t.bus.deadLetters).toEqual([]);
};

const buildCallers = async (): Promise<(role: Role) => fc.Arbitrary<Caller>> => {
  const valid = async (sub: string, role: Role, label: string): Promise<Caller> => ({
    label,
    sub,
    role,
    authorization: `Bearer ${await tokenFor(sub, role)}`,
  });
  const practitioners = await Promise.all(
    [DR_A, DR_B].map((s) => valid(s, 'practitioner', 'auth:practitioner')),
  );
  const patients = await Promise.all([PAT_A, PAT_B].map((s) => valid(s, 'patient', 'auth:patient')));
  // An assistant with no grant: their own routes answer, practitioner routes refuse them (403).
  const assistants = [await valid('fz-assistant', 'assistant', 'auth:assistant')];
  const strangers = [
    await valid('fz-dr-stranger', 'practitioner', 'auth:stranger'),
    await valid('fz-pat-stranger', 'patient', 'auth:stranger'),
  ];
  const odd: Caller[] = [
    { label: 'auth:none', authorization: undefined },
    { label: 'auth:empty', authorization: '' },
    { label: 'auth:garbage', authorization: 'Bearer not.a.jwt' },
    { label: 'auth:basic', authorization: 'Basic ZHI6cHc=' },
    {
      label: 'auth:expired',
      authorization: `Bearer ${await tokenFor(DR_A, 'practitioner', { expiresInSeconds: -60 })}`,
    },
    {
      label: 'auth:wrong-audience',
      authorization: `Bearer ${await tokenFor(DR_A, 'practitioner', { claims: { aud: 'someone-else' } })}`,
    },
    {
      label: 'auth:no-role',
      authorizerPool: 'practitioner',
      sub: DR_A,
      authorization: `Bearer ${await tokenFor(DR_A, 'practitioner', { claims: { 'custom:role': undefined } })}`,
    },
    {
      label: 'auth:admin-role',
      authorizerPool: 'practitioner',
      sub: DR_A,
      authorization: `Bearer ${await tokenFor(DR_A, 'practitioner', { claims: { 'custom:role': 'admin' } })}`,
    },
    {
      label: 'auth:odd-sub',
      authorizerPool: 'practitioner',
      sub: 'PRAC#x#THREADS',
      authorization: `Bearer ${await tokenFor('fz-odd-sub', 'practitioner', { claims: { sub: 'PRAC#x#THREADS' } })}`,
    },
  ];
  // Mostly the route's own role (so requests get past the role check), but every other kind too.
  return (role) =>
    fc.oneof(
      {
        arbitrary: fc.constantFrom(
          ...(role === 'practitioner' ? practitioners : role === 'assistant' ? assistants : patients),
        ),
        weight: 12,
      },
      { arbitrary: fc.constantFrom(...(role === 'patient' ? practitioners : patients)), weight: 1 },
      { arbitrary: fc.constantFrom(...assistants), weight: 1 },
      { arbitrary: fc.constantFrom(...strangers), weight: 1 },
      { arbitrary: fc.constantFrom(...odd), weight: 2 },
    );
};

beforeAll(async () => {
  meter = createDynamoMeter();
  t = await startTestApi();
  await seed();
  // After the stack: the handler modules it imported are the ones the document is built from.
  const { buildOpenApiDocument } = await import('../../scripts/openapi-document.ts');
  openapi = await buildOpenApiDocument();
  callers = await buildCallers();
  await closeBatch();
}, 120_000);

afterAll(async () => {
  meter?.stop();
  agent.destroy();
  await t?.stop();
  const statuses = [...stats.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
  console.info(
    `fuzz: ${stats.sent} requests over ${ROUTES.length} routes (+ stray paths), seed ${SEED}; ` +
      `statuses ${statuses.join(' ')}; ${stats.refused} refused, ${stats.refusedCheckedByScan} of them also ` +
      `checked by ${stats.scans} table scans (${Math.round(stats.scanMs / 1000)} s); ${stats.foreignRefused} on other users' resources; ` +
      `${stats.checkedAgainstDocument} answers matched openapi.json (status and body); ` +
      `${stats.gatewayRefusals} answered by the gateway layer (malformed path encoding, request line + headers > 10 KB)`,
  );
});

/**
 * What no route serves goes, in AWS as locally, to `ANY /v1/<role>/{proxy+}` behind that role's
 * authorizer (functions/method-not-allowed): 401 without a token of the role's pool, then 405 on a
 * path some route serves with other methods, else 404; paths outside both prefixes are a 404.
 */
const expectedStrayStatus = (req: FuzzRequest): number => {
  const path = decodeURIComponent(req.path);
  const fallback = fallbackRoutes(ROUTES).find(({ path: greedy }) => {
    const prefix = greedy.replace('{proxy+}', '');
    return path.startsWith(prefix) && path.length > prefix.length;
  });
  if (!fallback) return 404;
  const callerRole = req.caller.authorizerPool ?? req.caller.role;
  // The authorizer knows pools, not roles: an assistant's token passes the practitioners' one.
  if (!callerRole || USER_POOL_OF_ROLE[callerRole] !== USER_POOL_OF_ROLE[fallback.role]) return 401;
  return allowedMethods(ROUTES, path).length > 0 ? 405 : 404;
};

const operationOf = (route: RouteDefinition) => openapi.paths[route.path]?.[route.method.toLowerCase()];

describe(`fuzzed requests (≥ ${TOTAL} in all, seed ${SEED})`, () => {
  it.each(ROUTES.map((r) => [routeKey(r), r] as const))(
    '%s: never a 5xx, always a SPEC error or a success, refusals change nothing',
    async (_, route) => {
      const operation = operationOf(route);
      expect(operation, `no OpenAPI operation for ${routeKey(route)}: run npm run openapi`).toBeDefined();
      await fc.assert(
        fc.asyncProperty(requestFor(route, operation, seeded, callers(route.role)), async (req) => {
          await exercise(req, operation);
        }),
        { numRuns: RUNS_PER_ROUTE, seed: SEED, endOnFailure: true },
      );
    },
    240_000,
  );

  it("paths and methods no route serves: the role's 401, a 405 on a known path, else a SPEC 404", async () => {
    await fc.assert(
      fc.asyncProperty(
        strayRequest(ROUTES, fc.oneof(callers('practitioner'), callers('patient'), callers('assistant'))),
        async (req) => {
          expect(await exercise(req), describeRequest(req)).toBe(expectedStrayStatus(req));
        },
      ),
      { numRuns: STRAY_RUNS, seed: SEED, endOnFailure: true },
    );
  }, 120_000);

  it(`sent at least ${TOTAL} requests, and refused ones were also checked by table snapshots`, async () => {
    await closeBatch();
    expect(stats.sent).toBeGreaterThanOrEqual(TOTAL);
    expect(stats.refusedCheckedByScan).toBeGreaterThan(0);
  });
});
