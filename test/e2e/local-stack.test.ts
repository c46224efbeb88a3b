/**
 * The local stack itself (not the product): authorizer, routing, event translation,
 * error mapping, the PutEvents endpoint with the real SDK, retries and dead
 * letters, schedules, SES. Uses fixture routes, rules and handlers so it does not
 * depend on the real functions.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context, EventBridgeEvent } from 'aws-lambda';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalAuth, generateSigningKey } from '../../local/auth.ts';
import type { LambdaHandler } from '../../local/functions.ts';
import type { LocalRoute } from '../../local/http-api.ts';
import { createLogger } from '../../local/logger.ts';
import type { RuleDefinition, ScheduleDefinition } from '../../shared/function-model/triggers.ts';
import { localEmulation } from '../../shared/runtime/local-emulation.ts';
import { TEST_AUDIENCE, TEST_AUDIENCES, TEST_ISSUER, tokenFor } from '../support/auth.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

const routes: LocalRoute[] = [
  { name: 'echo', method: 'GET', path: '/v1/echo/{itemId}', role: 'patient' },
  { name: 'echo', method: 'POST', path: '/v1/echo/{itemId}/notes', role: 'patient' },
  { name: 'echo', method: 'GET', path: '/v1/pro/echo/{itemId}', role: 'practitioner' },
  { name: 'boom', method: 'POST', path: '/v1/boom', role: 'patient' },
  { name: 'malformed', method: 'GET', path: '/v1/malformed', role: 'patient' },
  { name: 'slow', method: 'GET', path: '/v1/slow', role: 'patient' },
  { name: 'mailer', method: 'POST', path: '/v1/mail', role: 'practitioner' },
  { name: 'publisher', method: 'POST', path: '/v1/publish', role: 'practitioner' },
];
const rules: RuleDefinition[] = [
  {
    name: 'booked',
    pattern: { source: ['agenda'], 'detail-type': ['AppointmentBooked'] },
    target: 'on-booked',
  },
  { name: 'flaky', pattern: { source: ['test'], 'detail-type': ['Flaky'] }, target: 'flaky' },
  { name: 'broken', pattern: { source: ['test'], 'detail-type': ['Broken'] }, target: 'broken' },
];
const schedules: ScheduleDefinition[] = [{ name: 'untreated-sweep', everyMinutes: 15, target: 'sweeper' }];

const received: Array<EventBridgeEvent<string, Record<string, unknown>>> = [];
const flakyAttempts: string[] = [];
const sweeps: unknown[] = [];
const SECRET_BODY = 'my-very-private-symptom-description';

const handlers: Record<string, LambdaHandler> = {
  echo: async (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => ({
    statusCode: 200,
    body: JSON.stringify({
      event,
      context: {
        functionName: context.functionName,
        awsRequestId: context.awsRequestId,
        remaining: context.getRemainingTimeInMillis(),
      },
      env: { table: process.env.TABLE_NAME, bus: process.env.EVENT_BUS_NAME, region: process.env.AWS_REGION },
    }),
  }),
  boom: async () => {
    throw new Error('handler exploded');
  },
  malformed: async () => ({ statusCode: 'teapot' }),
  slow: () => new Promise(() => {}),
  mailer: async (event: APIGatewayProxyEventV2WithJWTAuthorizer) => {
    // Built per call from the environment the stack set, like a handler module would at load.
    const ses = new SESv2Client({ endpoint: process.env.SES_ENDPOINT });
    const { to } = JSON.parse(event.body ?? '{}') as { to: string };
    const sent = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: process.env.SES_FROM_ADDRESS,
        Destination: { ToAddresses: [to] },
        Content: {
          Simple: { Subject: { Data: 'New message' }, Body: { Text: { Data: 'You have a new message.' } } },
        },
      }),
    );
    return { statusCode: 202, body: JSON.stringify({ messageId: sent.MessageId }) };
  },
  publisher: async () => {
    const client = new EventBridgeClient({ endpoint: process.env.EVENTBRIDGE_ENDPOINT });
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'agenda',
            DetailType: 'AppointmentBooked',
            Detail: JSON.stringify({ appointmentId: 'from-handler' }),
            EventBusName: process.env.EVENT_BUS_NAME,
          },
        ],
      }),
    );
    return { statusCode: 200, body: JSON.stringify(out.Entries) };
  },
  'on-booked': async (event: EventBridgeEvent<string, Record<string, unknown>>) => {
    received.push(event);
  },
  flaky: async (event: EventBridgeEvent<string, unknown>) => {
    flakyAttempts.push(event.id);
    if (flakyAttempts.length < 3) throw new Error('transient');
  },
  broken: async () => {
    throw new Error('permanently broken');
  },
  sweeper: async (event: unknown) => {
    sweeps.push(event);
    return { swept: 7 };
  },
};

describe('local stack over HTTP', () => {
  let t: TestApi;
  const errors: string[] = [];
  let patient: string;

  beforeAll(async () => {
    t = await startTestApi({
      routes,
      rules,
      schedules,
      streams: [],
      handlers,
      handlerTimeoutMs: 1000,
      logger: createLogger('stack', { quiet: true, err: (line) => errors.push(line) }),
    });
    patient = await tokenFor('pat-1', 'patient');
  });
  afterAll(() => t?.stop());

  describe('authorizer', () => {
    it('answers 401 UNAUTHENTICATED JSON without a token, before any handler runs', async () => {
      const res = await t.api.post('/v1/boom', { body: SECRET_BODY });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.body).toEqual({
        error: { code: 'UNAUTHENTICATED', message: 'Missing Authorization header' },
      });
      expect(errors.join('\n')).not.toMatch(/handler exploded/);
    });

    it.each([
      ['garbage', async () => 'not-a-jwt'],
      ['expired', () => tokenFor('pat-1', 'patient', { expiresInSeconds: -5 })],
      ['wrong audience', () => tokenFor('pat-1', 'patient', { claims: { aud: 'another-app' } })],
      ['wrong issuer', () => tokenFor('pat-1', 'patient', { claims: { iss: 'https://cognito.example' } })],
      [
        'signed by another key',
        async () =>
          createLocalAuth({
            key: (await generateSigningKey()).key,
            issuer: TEST_ISSUER,
            audiences: TEST_AUDIENCES,
          }).issue({
            sub: 'pat-1',
            role: 'patient',
          }),
      ],
      [
        'HS256',
        () =>
          new SignJWT({ sub: 'pat-1', 'custom:role': 'patient', iss: TEST_ISSUER, aud: TEST_AUDIENCE })
            .setProtectedHeader({ alg: 'HS256' })
            .setExpirationTime('1h')
            .sign(new TextEncoder().encode('x'.repeat(32))),
      ],
    ])('answers 401 for a %s token', async (_, makeToken) => {
      const res = await t.api.as(await makeToken()).get('/v1/echo/x');
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    });

    it('lets a valid token through, with its claims as strings', async () => {
      const res = await t.api.as(patient).get('/v1/echo/x');
      expect(res.status).toBe(200);
      const claims = res.body.event.requestContext.authorizer.jwt.claims;
      expect(claims).toMatchObject({
        sub: 'pat-1',
        'custom:role': 'patient',
        aud: TEST_AUDIENCE,
        iss: TEST_ISSUER,
        token_use: 'id',
      });
      expect(typeof claims.exp).toBe('string');
      expect(res.body.event.requestContext.authorizer.jwt.scopes).toBeNull();
    });
  });

  describe("authorizers per user pool (the route's role)", () => {
    it("refuses, with 401, a token of the other pool's app client, an access token, a token without token_use", async () => {
      const doctor = await tokenFor('dr-1', 'practitioner');
      for (const [path, token] of [
        ['/v1/pro/echo/x', patient],
        ['/v1/echo/x', doctor],
        ['/v1/pro/echo/x', await tokenFor('dr-1', 'practitioner', { claims: { token_use: 'access' } })],
        ['/v1/echo/x', await tokenFor('pat-1', 'patient', { claims: { token_use: undefined } })],
      ] as const) {
        const res = await t.api.as(token).get(path);
        expect({ path, status: res.status, code: res.body.error?.code }).toEqual({
          path,
          status: 401,
          code: 'UNAUTHENTICATED',
        });
      }
      expect((await t.api.as(doctor).get('/v1/pro/echo/x')).status).toBe(200);
      expect((await t.api.as(patient).get('/v1/echo/x')).status).toBe(200);
    });
  });

  describe('POST /local/token', () => {
    it('issues a token the API accepts', async () => {
      const res = await t.api.post('/local/token', { sub: 'dr_9-x', role: 'practitioner' });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['token']);
      const echo = await t.api.as(res.body.token).get('/v1/pro/echo/1');
      expect(echo.body.event.requestContext.authorizer.jwt.claims).toMatchObject({
        'custom:role': 'practitioner',
        aud: TEST_AUDIENCES.professionals,
      });
    });

    it.each([
      [{ sub: 'dr-1' }, 'role'],
      [{ sub: 'dr-1', role: 'admin' }, 'role'],
      [{ sub: 'dr 1', role: 'patient' }, 'sub'],
      [{ sub: 'x'.repeat(129), role: 'patient' }, 'sub'],
      [{ sub: 'dr-1', role: 'patient', 'custom:role': 'practitioner' }, ''],
    ])('answers 400 VALIDATION_ERROR for %j', async (body, field) => {
      const res = await t.api.post('/local/token', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.details.map((d: { path: string[] }) => d.path.join('.'))).toContain(field);
    });

    it('answers 400 for a body that is not JSON', async () => {
      const res = await t.api.request('POST', '/local/token', { rawBody: 'sub=dr-1' });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    });

    it('serves the JWKS that verifies the tokens', async () => {
      const res = await t.api.get('/local/.well-known/jwks.json');
      expect(res.status).toBe(200);
      expect(res.body.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256' });
      expect(res.body.keys[0]).not.toHaveProperty('d');
    });
  });

  describe('routing and the API Gateway event', () => {
    it('answers 404 NOT_FOUND JSON for an unknown path, and for a known path with another method', async () => {
      for (const res of [
        await t.api.as(patient).get('/v1/nothing'),
        await t.api.as(patient).delete('/v1/echo/x'),
      ]) {
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('NOT_FOUND');
      }
    });

    it('hands the handler a payload 2.0 event and a Lambda context', async () => {
      const res = await t.api
        .as(patient)
        .post(
          '/v1/echo/item%201/notes?tag=a&tag=b&q=x%20y',
          { text: 'hi' },
          { headers: { 'X-Trace': 'T1', cookie: 'c=1' } },
        );
      expect(res.status).toBe(200);
      expect(res.headers.get('apigw-requestid')).toBe(res.body.event.requestContext.requestId);
      const { event, context, env } = res.body;
      expect(event).toMatchObject({
        version: '2.0',
        routeKey: 'POST /v1/echo/{itemId}/notes',
        rawPath: '/v1/echo/item 1/notes',
        rawQueryString: 'tag=a&tag=b&q=x%20y',
        queryStringParameters: { tag: 'a,b', q: 'x y' },
        pathParameters: { itemId: 'item 1' },
        body: '{"text":"hi"}',
        isBase64Encoded: false,
        cookies: ['c=1'],
        requestContext: {
          stage: '$default',
          routeKey: 'POST /v1/echo/{itemId}/notes',
          http: { method: 'POST', sourceIp: '127.0.0.1' },
        },
      });
      expect(event.headers['x-trace']).toBe('T1');
      expect(event.headers['content-type']).toBe('application/json');
      expect(event.headers.authorization).toMatch(/^Bearer /);
      expect(context).toMatchObject({ functionName: 'echo', awsRequestId: event.requestContext.requestId });
      expect(context.remaining).toBeGreaterThan(0);
      expect(env).toEqual({ table: t.table.tableName, bus: 'patient-messaging', region: 'eu-west-3' });
    });

    it('maps a throwing handler to 500 {"message":"Internal Server Error"} and logs it without the body', async () => {
      const res = await t.api.as(patient).post('/v1/boom', { body: SECRET_BODY });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ message: 'Internal Server Error' });
      const log = errors.join('\n');
      expect(log).toMatch(/POST \/v1\/boom \(boom\) failed.*Error: handler exploded/s);
      expect(log).not.toContain(SECRET_BODY);
    });

    it('maps a malformed result to 500 and a handler timeout to 503, like API Gateway', async () => {
      const malformed = await t.api.as(patient).get('/v1/malformed');
      expect(malformed.status).toBe(500);
      expect(malformed.body).toEqual({ message: 'Internal Server Error' });
      const slow = await t.api.as(patient).get('/v1/slow');
      expect(slow.status).toBe(503);
      expect(slow.body).toEqual({ message: 'Service Unavailable' });
    });

    it('answers 431 HEADERS_TOO_LARGE JSON (not an empty 431) to an over-long header section', async () => {
      const res = await fetch(`${t.baseUrl}/v1/echo/x`, { headers: { 'x-padding': 'x'.repeat(20_000) } });
      expect(res.status).toBe(431);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual({
        error: { code: 'HEADERS_TOO_LARGE', message: 'The request headers are too large.' },
      });
    });

    it('answers 413 PAYLOAD_TOO_LARGE above 10 MB, before authorizing', async () => {
      const res = await t.api.request('POST', '/v1/echo/x/notes', {
        rawBody: 'x'.repeat(10 * 1024 * 1024 + 1),
      });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    });
  });

  describe('event bus', () => {
    it('delivers a PutEvents call from the real SDK client to the matching rule target', async () => {
      const client = new EventBridgeClient({
        endpoint: t.stack.urls.eventBus,
        region: 'eu-west-3',
        credentials: { accessKeyId: 'dummy', secretAccessKey: 'dummy' },
      });
      const out = await client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: 'agenda',
              DetailType: 'AppointmentBooked',
              Detail: JSON.stringify({ appointmentId: 'apt-1', practitionerId: 'dr-1' }),
              EventBusName: 'patient-messaging',
              Time: new Date('2026-05-14T08:00:00Z'),
            },
            {
              Source: 'agenda',
              DetailType: 'SomethingElse',
              Detail: '{}',
              EventBusName: 'patient-messaging',
            },
            {
              Source: 'agenda',
              DetailType: 'AppointmentBooked',
              Detail: 'not json',
              EventBusName: 'patient-messaging',
            },
          ],
        }),
      );
      expect(out.FailedEntryCount).toBe(1);
      expect(out.Entries?.[2]).toMatchObject({ ErrorCode: 'MalformedDetail' });
      await t.bus.drain();
      const delivered = received.find((e) => e.id === out.Entries?.[0]?.EventId);
      expect(delivered).toMatchObject({
        source: 'agenda',
        'detail-type': 'AppointmentBooked',
        time: '2026-05-14T08:00:00Z',
        detail: { appointmentId: 'apt-1', practitionerId: 'dr-1' },
      });
      expect(received.some((e) => e.id === out.Entries?.[1]?.EventId)).toBe(false);
    });

    it('lets a handler publish through EVENTBRIDGE_ENDPOINT with the SDK', async () => {
      const res = await t.api.as(await tokenFor('dr-1', 'practitioner')).post('/v1/publish');
      expect(res.status).toBe(200);
      await t.bus.drain();
      expect(received.map((e) => e.id)).toContain(res.body[0].EventId);
    });

    it('POST /local/events puts one entry on the bus (Detail as object or string) and answers 202', async () => {
      const asObject = await t.api.post('/local/events', {
        Source: 'agenda',
        DetailType: 'AppointmentBooked',
        Detail: { appointmentId: 'apt-2' },
      });
      const asString = await t.api.post('/local/events', {
        Source: 'agenda',
        DetailType: 'AppointmentBooked',
        Detail: '{"appointmentId":"apt-3"}',
      });
      expect([asObject.status, asString.status]).toEqual([202, 202]);
      await t.bus.drain();
      expect(
        received.filter((e) => ['apt-2', 'apt-3'].includes(String(e.detail.appointmentId))),
      ).toHaveLength(2);
      const log = await t.api.get('/local/events', { query: { detailType: 'AppointmentBooked' } });
      expect(log.body.items.map((e: { id: string }) => e.id)).toContain(asObject.body.EventId);
      expect(log.body.items.find((e: { id: string }) => e.id === asString.body.EventId)).toMatchObject({
        source: 'agenda',
        detail: { appointmentId: 'apt-3' },
        matchedRules: ['booked'],
      });
    });

    it.each([
      [{ Source: 'agenda', Detail: {} }],
      [{ Source: 'agenda', DetailType: 'X', Detail: [1] }],
      [{ Source: 'agenda', DetailType: 'X', Detail: 'nope' }],
      [{ Source: 'agenda', DetailType: 'X', Detail: {}, Extra: true }],
      [{ Source: 'aws.events', DetailType: 'X', Detail: {} }],
      [[{ Source: 'agenda', DetailType: 'X', Detail: {} }]],
    ])('POST /local/events answers 400 VALIDATION_ERROR for %j', async (body) => {
      const res = await t.api.post('/local/events', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    });

    it('retries a failing target and dead-letters one that keeps failing', async () => {
      await t.api.post('/local/events', { Source: 'test', DetailType: 'Flaky', Detail: {} });
      const broken = await t.api.post('/local/events', {
        Source: 'test',
        DetailType: 'Broken',
        Detail: { n: 1 },
      });
      await t.bus.drain();
      expect(flakyAttempts).toHaveLength(3);
      expect(t.bus.deadLetters).toEqual([
        expect.objectContaining({ target: 'broken', attempts: 3, error: 'Error: permanently broken' }),
      ]);
      const log = await t.api.get('/local/events');
      expect(log.body.deadLetters[0].event.id).toBe(broken.body.EventId);
    });
  });

  describe('schedules', () => {
    it('POST /local/sweep runs untreated-sweep now with a scheduled-event envelope', async () => {
      const res = await t.api.post('/local/sweep');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ schedule: 'untreated-sweep', target: 'sweeper', result: { swept: 7 } });
      expect(sweeps.at(-1)).toMatchObject({
        source: 'aws.events',
        'detail-type': 'Scheduled Event',
        detail: {},
      });
    });

    it('POST /local/schedules/{name} runs any schedule, 404 for an unknown one', async () => {
      expect((await t.api.post('/local/schedules/untreated-sweep')).status).toBe(200);
      const unknown = await t.api.post('/local/schedules/nope');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('NOT_FOUND');
    });

    it('a forward move of the local clock runs every schedule once, stamped with the new time', async () => {
      const runs = sweeps.length;
      const moved = await t.clock.set('2031-03-10T09:00:00Z');
      expect(moved.schedulesRun).toEqual([
        { schedule: 'untreated-sweep', target: 'sweeper', ok: true, result: { swept: 7 } },
      ]);
      expect(sweeps).toHaveLength(runs + 1);
      expect((sweeps.at(-1) as { time: string }).time).toMatch(/^2031-03-10T09:00:0\dZ$/);
      await t.clock.set(new Date(), { runSchedules: false });
    });
  });

  describe('SES', () => {
    it('serves the store, and receives what a handler sends through SES_ENDPOINT', async () => {
      const before = await fetch(`${t.ses.url}/store`);
      expect(before.status).toBe(200);
      const res = await t.api
        .as(await tokenFor('dr-1', 'practitioner'))
        .post('/v1/mail', { to: 'camille@example.org' });
      expect(res.status).toBe(202);
      const emails = await t.ses.emails();
      expect(emails.find((e) => e.messageId === res.body.messageId)).toMatchObject({
        destination: { to: ['camille@example.org'] },
        subject: 'New message',
      });
      const inbox = await fetch(`${t.ses.url}/`);
      expect(inbox.status).toBe(200);
    });
  });
});

describe('the local clock in the emulation seam', () => {
  it('is installed for the handlers while the stack runs and removed when it stops', async () => {
    expect(localEmulation().clock).toBeUndefined();
    const t = await startTestApi({ routes: [], rules: [], schedules: [], streams: [], handlers: {} });
    try {
      expect(localEmulation().clock).toBe(t.stack.clock);
      const moved = await t.clock.advance('PT1H');
      expect(moved.schedulesRun).toEqual([]);
      expect(moved.note).toMatch(/Every schedule ran once as of the new time \(none defined\)/);
      expect((localEmulation().clock?.now().getTime() ?? 0) - Date.now()).toBeGreaterThan(3_590_000);
    } finally {
      await t.stop();
    }
    expect(localEmulation().clock).toBeUndefined();
  });
});

describe('local stack without schedules', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ routes: [], rules: [], schedules: [], streams: [], handlers: {} });
  });
  afterAll(() => t?.stop());

  it('POST /local/sweep answers 404 NOT_FOUND JSON while no untreated-sweep schedule exists', async () => {
    const res = await t.api.post('/local/sweep');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(res.body.error.message).toMatch(/untreated-sweep/);
  });
});
