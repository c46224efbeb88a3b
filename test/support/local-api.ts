/**
 * The local stack in-process for e2e tests: a fresh table on the run's DynamoDB
 * Local, aws-ses-v2-local and the bus on random ports, the API on a random port,
 * no schedule timers (run them with stack.scheduler.run(name) or POST /local/sweep),
 * short bus retry delays. Tokens from tokenFor() are accepted.
 *
 *   startTestApi(options?: TestApiOptions): Promise<TestApi>
 *     options: routes / rules / schedules / handlers overrides (default: the real
 *     ones), retryDelaysMs, maxAttempts, duplicateDeliveries, handlerTimeoutMs,
 *     allowMissingHandlers, logger, quiet (default true: only warnings/errors print)
 *
 *   const t = await startTestApi();
 *   const res = await t.api.as(await tokenFor('dr-1', 'practitioner')).get('/v1/practitioner/settings');
 *   const dr = await t.as('dr-1', 'practitioner');       // shortcut
 *   await t.bus.drain();                                 // every event delivery settled
 *   const emails = await t.ses.emails();
 *   const now = await t.clock.now();                     // the stack's local clock (GET /local/clock)
 *   await t.clock.advance('PT11M', { runSchedules: false }); // POST /local/clock; then run a schedule by hand
 *   afterAll(() => t.stop());
 *
 * One test API per test file: the handler modules read the environment (table,
 * endpoints) once per process, and Vitest gives each file its own module graph.
 */

import type { LocalEventBus } from '../../local/event-bus.ts';
import { createLogger, type Logger } from '../../local/logger.ts';
import type { SesLocal } from '../../local/ses-local.ts';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.ts';
import type { Role } from '../../shared/function-model/declaration.ts';
import { TEST_AUDIENCES, TEST_ISSUER, testSigningKey, tokenFor } from './auth.ts';
import { createTestTable, type TestTable } from './dynamodb.ts';
import { type ApiClient, createApiClient } from './http-client.ts';

export type TestApiOptions = Pick<
  LocalStackOptions,
  | 'functions'
  | 'streams'
  | 'routes'
  | 'rules'
  | 'schedules'
  | 'handlers'
  | 'wrapHandlers'
  | 'retryDelaysMs'
  | 'maxAttempts'
  | 'duplicateDeliveries'
  | 'handlerTimeoutMs'
  | 'bodyLimitBytes'
  | 'allowMissingHandlers'
  | 'appBaseUrl'
  | 'onApiListening'
  | 'quotas'
> & { logger?: Logger; quiet?: boolean };

/** The answer of POST /local/clock. */
export interface ClockAnswer {
  now: string;
  offsetMs: number;
  change: { from: string; to: string; byMs: number };
  schedulesRun: Array<{ schedule: string; target: string; ok: boolean; result?: unknown; error?: string }>;
  note: string;
}

/** The local clock over HTTP (GET/POST /local/clock); each call fails the test unless it answers 200. */
export interface TestClock {
  now(): Promise<Date>;
  /** `runSchedules` defaults to true, as in the route: every schedule runs once after the move. */
  advance(duration: string, options?: { runSchedules?: boolean }): Promise<ClockAnswer>;
  set(to: Date | string, options?: { runSchedules?: boolean }): Promise<ClockAnswer>;
}

export interface TestApi {
  baseUrl: string;
  /** Unauthenticated client; `.as(token)` for a caller. */
  api: ApiClient;
  /**
   * A client authenticated as (sub, role); `identity` puts `email` / `email_verified`
   * in its token as the pools do (verified unless said otherwise: ADR 0010).
   */
  as(sub: string, role: Role, identity?: { email: string; emailVerified?: boolean }): Promise<ApiClient>;
  tokenFor: typeof tokenFor;
  stack: LocalStack;
  bus: LocalEventBus;
  ses: Pick<SesLocal, 'url' | 'emails' | 'clear'>;
  table: TestTable;
  clock: TestClock;
  stop(): Promise<void>;
}

const expectOk = (what: string, res: { status: number; text: string }) => {
  if (res.status !== 200) throw new Error(`${what} answered ${res.status}: ${res.text}`);
};

const httpClock = (api: ApiClient): TestClock => ({
  now: async () => {
    const res = await api.get('/local/clock');
    expectOk('GET /local/clock', res);
    return new Date(res.body.now);
  },
  advance: async (duration, options = {}) => {
    const res = await api.post('/local/clock', { advance: duration, ...options });
    expectOk('POST /local/clock', res);
    return res.body as ClockAnswer;
  },
  set: async (to, options = {}) => {
    const res = await api.post('/local/clock', {
      set: typeof to === 'string' ? to : to.toISOString(),
      ...options,
    });
    expectOk('POST /local/clock', res);
    return res.body as ClockAnswer;
  },
});

export const startTestApi = async (options: TestApiOptions = {}): Promise<TestApi> => {
  const { logger, quiet, ...stackOptions } = options;
  const table = await createTestTable({ prefix: 'e2e' });
  const key = await testSigningKey();
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      retryDelaysMs: [10, 50],
      ...stackOptions,
      dynamoDb: { endpoint: table.endpoint },
      tableName: table.tableName,
      auth: { key, issuer: TEST_ISSUER, audiences: TEST_AUDIENCES },
      scheduleIntervalSeconds: 0,
      logger: logger ?? createLogger('test-stack', { quiet: quiet ?? true }),
    });
  } catch (error) {
    await table.drop();
    throw error;
  }
  const api = createApiClient(stack.urls.api);
  return {
    baseUrl: stack.urls.api,
    api,
    as: async (sub, role, identity) =>
      api.as(
        await tokenFor(
          sub,
          role,
          identity && { claims: { email: identity.email, email_verified: identity.emailVerified ?? true } },
        ),
      ),
    tokenFor,
    stack,
    bus: stack.bus,
    ses: stack.ses,
    table,
    clock: httpClock(api),
    stop: async () => {
      await stack.stop();
      await table.drop();
    },
  };
};
