/**
 * The whole local stack as one reusable function, used by `npm start`
 * (local/start.ts) and in-process by e2e tests (test/support/local-api.ts):
 *
 *   DynamoDB Local (spawned, or an existing endpoint)  ← handlers' DynamoDB client
 *   aws-ses-v2-local on 127.0.0.1                       ← handlers' SESv2 client
 *   S3-compatible server on 127.0.0.1 (local/s3-local.ts) ← the audit shipper's S3 client
 *   local event bus (PutEvents endpoint + rules)        ← handlers' EventBridge client
 *   local scheduler (schedule timers)
 *   local HTTP API (routes + JWT authorizer + /local/*)
 *   local IAM: each function's SDK clients refuse what its role would not allow
 *   local clock (GET/POST /local/clock)                 ← handlers' deps.clock, the bus, the scheduler
 *
 * The clock and the IAM enforcement reach the handlers through
 * shared/runtime/local-emulation.ts: installed before the handler modules load and
 * removed when the stack stops, so the next stack in the process (a test file)
 * starts from the system time.
 *
 * Routes, rules and schedules come from the function declarations
 * (functions/catalog.ts), handlers from functions/<name>/handler.ts; all can be
 * overridden, so tests of the stack itself use fixture handlers.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { S3_SOURCE, S3ObjectCreated } from '../events/aws-attachment-events.ts';
import { FUNCTIONS } from '../functions/catalog.ts';
import { DEFAULT_BUS_NAME, LOCAL_ATTACHMENT_BUCKET, LOCAL_EXPORT_BUCKET } from '../shared/config.ts';
import { IDEMPOTENCY_TABLE } from '../shared/db/table-definition.ts';
import type { Quotas } from '../shared/domain/quotas.ts';
import {
  type FunctionDeclaration,
  routeKey,
  type UserPoolName,
} from '../shared/function-model/declaration.ts';
import { auditBucketNameFor, serviceResources } from '../shared/function-model/permissions.ts';
import {
  eventRules,
  fallbackRoutes,
  httpRoutes,
  methodFallback,
  type RuleDefinition,
  resolveRule,
  type ScheduleDefinition,
  schedules as schedulesOf,
  streamConsumers,
} from '../shared/function-model/triggers.ts';
import { emulateLocally, localEmulation, stopLocalEmulation } from '../shared/runtime/local-emulation.ts';
import { createLambdaContext } from './api-gateway.ts';
import {
  createLocalAuth,
  generateSigningKey,
  LOCAL_AUDIENCES,
  type LocalAuth,
  loadOrCreateSigningKey,
  type SigningKey,
} from './auth.ts';
import { LocalClock } from './clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './constants.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.ts';
import { LocalEventBus } from './event-bus.ts';
import { type FunctionUse, type HandlerOverrides, type LambdaHandler, loadHandlers } from './functions.ts';
import { API_TIMEOUT_MS, createHttpApi, type LocalRoute } from './http-api.ts';
import { type IamEnforcement, iamEnforcement } from './iam-enforcement.ts';
import { applyLambdaEnvironment, lambdaEnvironment } from './lambda-env.ts';
import { createLogger, type Logger } from './logger.ts';
import { closeServer, listen } from './net.ts';
import { createRouter } from './routing.ts';
import { type S3Local, startS3Local } from './s3-local.ts';
import { LocalScheduler } from './scheduler.ts';
import { type SesLocal, startSesLocal } from './ses-local.ts';
import { LocalStreamPoller, type StreamDeadLetter, type StreamTarget } from './stream-poller.ts';
import { ensureIdempotencyTable, ensureTable } from './table.ts';
import { LocalWebSocketApi, type LocalWebSocketFunctions } from './websocket.ts';

export const DEFAULT_TABLE_NAME = 'patient-messaging-local';
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface LocalStackOptions {
  /** The quotas the functions enforce (default: the dev stage's, as `npm start`). */
  quotas?: Quotas;
  /** Bind address of the API and the bus. */
  host?: string;
  /** 0 (default) = random free port. */
  apiPort?: number;
  /** The local WebSocket API (SPEC 11.4); 0 (default) = random free port. */
  webSocketPort?: number;
  busPort?: number;
  sesPort?: number;
  /** The local S3 server: its port (0, default: random) and where it keeps objects (default: a temporary folder). */
  s3?: { port?: number; directory?: string };
  /** Use a running DynamoDB (tests) or spawn one (default: in memory, random port). */
  dynamoDb?: { endpoint: string } | { port?: number; dataDir?: string };
  tableName?: string;
  busName?: string;
  /** The declared functions (default: functions/catalog.ts): their grants are enforced, their triggers wired. */
  functions?: readonly FunctionDeclaration[];
  /** Where the stream readers keep their positions across restarts (npm start); none: from the stream's start. */
  streamCheckpointFile?: string;
  /**
   * Triggers, by default those of `functions`; tests of the stack itself pass fixtures. None
   * (the benchmark): the table has no stream and events stay in the outbox.
   */
  streams?: readonly StreamTarget[];
  routes?: readonly LocalRoute[];
  rules?: readonly RuleDefinition[];
  schedules?: readonly ScheduleDefinition[];
  /**
   * The WebSocket API's authorizer and routes; by default the declared ones, unless routes, rules or
   * schedules are given (tests of the stack itself: fixtures only), then none unless given here.
   */
  webSocket?: LocalWebSocketFunctions;
  /** Handlers by function name, used instead of functions/<name>/handler.ts. */
  handlers?: HandlerOverrides;
  /**
   * Fault injection (tests): wraps each loaded handler, e.g. to make a function die right after its
   * commit, or the outbox publisher crash before or after it puts events on the bus.
   */
  wrapHandlers?: (name: string, handler: LambdaHandler) => LambdaHandler;
  functionsDir?: string;
  /** Missing handler files: 501 (HTTP) / failed delivery (events) instead of a startup error. */
  allowMissingHandlers?: boolean;
  /** Signing key: persisted in `keyFile`, given, or generated for this run. */
  auth?: {
    keyFile?: string;
    key?: SigningKey;
    issuer?: string;
    audiences?: Readonly<Record<UserPoolName, string>>;
  };
  /** Seconds between scheduled runs; 0 disables the timers. Default 60. */
  scheduleIntervalSeconds?: number;
  retryDelaysMs?: readonly number[];
  maxAttempts?: number;
  duplicateDeliveries?: boolean;
  handlerTimeoutMs?: number;
  bodyLimitBytes?: number;
  appBaseUrl?: string;
  sesFromAddress?: string;
  openApiFile?: string;
  logger?: Logger;
  /**
   * Called once the API port is open, before the handlers are loaded: until then it
   * answers 503 STARTING (tests of the startup use it).
   */
  onApiListening?: (url: string) => void;
}

export interface LocalStackUrls {
  api: string;
  docs: string;
  token: string;
  jwks: string;
  events: string;
  clock: string;
  sesInbox: string;
  ses: string;
  dynamoDb: string;
  eventBus: string;
  /** The local S3-compatible server (path-style; credentials S3RVER/S3RVER). */
  s3: string;
  /** The WebSocket endpoint (`?token=<ID token>`) and its Management API endpoint (SPEC 11.4). */
  webSocket: string;
  webSocketManagement: string;
}

export interface LocalStack {
  urls: LocalStackUrls;
  tableName: string;
  busName: string;
  /** The variables set in process.env for the handlers. */
  env: Readonly<Record<string, string>>;
  auth: LocalAuth;
  bus: LocalEventBus;
  /** The table stream's readers (the outbox publisher's event source mapping). */
  streams: LocalStreamPoller;
  scheduler: LocalScheduler;
  /** The stack's clock (GET/POST /local/clock), read by its handlers, bus and scheduler. */
  clock: LocalClock;
  ses: SesLocal;
  /** The local S3 server and its buckets (the audit archive: `auditBucket`). */
  s3: S3Local;
  auditBucket: string;
  dynamoDbClient: DynamoDBClient;
  /** The IAM statements enforced on each function's clients (the enforcement table). */
  iam: IamEnforcement;
  /** The local WebSocket API, when the functions declare one. */
  webSocket: LocalWebSocketApi | undefined;
  /** Stops timers, lets in-flight deliveries finish (briefly), closes servers, kills DynamoDB Local if spawned. */
  stop(): Promise<void>;
}

const functionUses = (
  routes: readonly LocalRoute[],
  rules: readonly RuleDefinition[],
  schedules: readonly ScheduleDefinition[],
): FunctionUse[] => [
  ...routes.map((r): FunctionUse => ({ name: r.name, kind: 'http', usedBy: `route ${routeKey(r)}` })),
  ...rules.map((r): FunctionUse => ({ name: r.target, kind: 'event', usedBy: `rule ${r.name}` })),
  ...schedules.map((s): FunctionUse => ({ name: s.target, kind: 'event', usedBy: `schedule ${s.name}` })),
];

/** The WebSocket API's authorizer and routes, when all three are declared. */
const webSocketFunctionsOf = (
  functions: readonly FunctionDeclaration[],
): LocalWebSocketFunctions | undefined => {
  const authorizer = functions.find((f) => f.trigger === 'websocket-authorizer')?.name;
  const route = (key: string) => functions.find((f) => f.trigger === 'websocket' && f.route === key)?.name;
  const connect = route('$connect');
  const disconnect = route('$disconnect');
  return authorizer && connect && disconnect ? { authorizer, connect, disconnect } : undefined;
};

/** `ANY /v1/<role>/{proxy+}` → the fallback (405 with Allow, or 404), as the API stack wires it. */
const fallbackRoutesOf = (functions: readonly FunctionDeclaration[]): LocalRoute[] => {
  const fallback = methodFallback(functions);
  if (!fallback) return [];
  return fallbackRoutes(httpRoutes(functions)).map(({ path, role }) => ({
    method: 'ANY',
    path,
    role,
    name: fallback.name,
  }));
};

export const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
  const logger = options.logger ?? createLogger('local');
  const host = options.host ?? '127.0.0.1';
  const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
  const busName = options.busName ?? DEFAULT_BUS_NAME;
  const functions = options.functions ?? FUNCTIONS;
  const routes = options.routes ?? [...httpRoutes(functions), ...fallbackRoutesOf(functions)];
  // S3's and GuardDuty's rules match the local attachments bucket, as in AWS they match the real one.
  const rules = (options.rules ?? eventRules(functions)).map((rule) =>
    resolveRule(rule, { attachments: LOCAL_ATTACHMENT_BUCKET }),
  );
  const schedules = options.schedules ?? schedulesOf(functions);
  const streamTargets = options.streams ?? streamConsumers(functions);
  const timeoutMs = options.handlerTimeoutMs ?? API_TIMEOUT_MS;
  const router = createRouter(routes);

  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) {
      await step().catch((error: unknown) => logger.warn(`cleanup: ${String(error)}`));
    }
  };

  const clock = new LocalClock();
  // Before any handler module is loaded: the composition root reads it when it builds its deps.
  emulateLocally({ clock });
  cleanups.push(async () => {
    if (localEmulation().clock === clock) stopLocalEmulation();
  });
  let ready = false;

  try {
    let spawned: DynamoDbLocal | undefined;
    let dynamoDbEndpoint: string;
    if (options.dynamoDb && 'endpoint' in options.dynamoDb) {
      dynamoDbEndpoint = options.dynamoDb.endpoint;
    } else {
      spawned = await startDynamoDbLocal({ ...options.dynamoDb, logger: logger.child('dynamodb') });
      cleanups.push(() => spawned?.stop() ?? Promise.resolve());
      dynamoDbEndpoint = spawned.endpoint;
    }

    const ses = await startSesLocal({ host: '127.0.0.1', port: options.sesPort ?? 0 });
    cleanups.push(() => ses.stop());

    const auditBucket = auditBucketNameFor(tableName);
    // Filled once the bus exists: the server only stores objects after the stack is ready anyway.
    let onAttachmentStored: (object: { bucket: string; key: string; size: number }) => void = () => {};
    const s3 = await startS3Local({
      buckets: [auditBucket, LOCAL_EXPORT_BUCKET, LOCAL_ATTACHMENT_BUCKET],
      onObjectCreated: (object) => onAttachmentStored(object),
      ...(options.s3?.port !== undefined && { port: options.s3.port }),
      ...(options.s3?.directory && { directory: options.s3.directory }),
    });
    cleanups.push(() => s3.stop());

    // What the stream readers gave up on, for GET /local/stream-dead-letters (the readers start last).
    let streamDeadLetters: () => readonly StreamDeadLetter[] = () => [];
    // Filled once the Lambda environment is set; the servers only look handlers up per call.
    const handlers = new Map<string, LambdaHandler>();
    const invoke = async (target: string, event: unknown): Promise<unknown> => {
      const handler = handlers.get(target);
      if (!handler) throw new Error(`No handler loaded for function ${target}`);
      const context: Context = createLambdaContext(target, randomUUID(), timeoutMs);
      return (handler as (e: unknown, c: Context) => unknown)(event, context);
    };

    const bus = new LocalEventBus({
      busName,
      rules,
      invoke,
      clock,
      logger: logger.child('bus'),
      ...(options.retryDelaysMs ? { retryDelaysMs: options.retryDelaysMs } : {}),
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
      ...(options.duplicateDeliveries ? { duplicateDeliveries: true } : {}),
    });
    const eventBusUrl = await bus.listen(options.busPort ?? 0, host);
    // S3 → EventBridge (the bucket's eventBridgeEnabled in AWS): the same "Object Created" on the default bus.
    onAttachmentStored = (object) => {
      if (object.bucket !== LOCAL_ATTACHMENT_BUCKET) return;
      bus.putServiceEvent({
        source: S3_SOURCE,
        detailType: S3ObjectCreated.detailType,
        detail: {
          version: '0',
          bucket: { name: object.bucket },
          object: { key: object.key, size: object.size },
          reason: 'PutObject',
        },
      });
    };
    cleanups.push(() => bus.close());

    const scheduler = new LocalScheduler(schedules, invoke, logger.child('schedule'), clock);
    cleanups.push(async () => scheduler.stop());

    // The API must listen before the auth issuer and APP_BASE_URL are known.
    let auth: LocalAuth | undefined;
    const authProxy: LocalAuth = {
      get issuer() {
        return (auth as LocalAuth).issuer;
      },
      get audiences() {
        return (auth as LocalAuth).audiences;
      },
      get jwks() {
        return (auth as LocalAuth).jwks;
      },
      issue: (...args) => (auth as LocalAuth).issue(...args),
      verifyAuthorizationHeader: (header, pool) =>
        (auth as LocalAuth).verifyAuthorizationHeader(header, pool),
    };
    const server = createHttpApi({
      router,
      handlerFor: (name) => handlers.get(name),
      auth: authProxy,
      bus,
      scheduler,
      clock,
      isReady: () => ready,
      streamDeadLetters: () => streamDeadLetters(),
      logger: logger.child('api'),
      timeoutMs,
      ...(options.bodyLimitBytes ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
      openApiFile: options.openApiFile ?? `${REPO_ROOT}openapi.json`,
    });
    const apiPort = await listen(server, options.apiPort ?? 0, host, 'local API');
    cleanups.push(() => closeServer(server));
    const apiHost = host === '127.0.0.1' || host === '0.0.0.0' ? 'localhost' : host;
    const publicApiUrl = `http://${apiHost}:${apiPort}`;
    const apiUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${apiPort}`;
    options.onApiListening?.(apiUrl);

    const key =
      options.auth?.key ??
      (options.auth?.keyFile
        ? await loadOrCreateSigningKey(options.auth.keyFile)
        : (await generateSigningKey()).key);
    auth = createLocalAuth({
      key,
      issuer: options.auth?.issuer ?? `${publicApiUrl}/local`,
      audiences: options.auth?.audiences ?? LOCAL_AUDIENCES,
    });

    // The WebSocket API: clients connect with an ID token; the notifier posts through its management endpoint.
    const fixtures =
      options.routes !== undefined || options.rules !== undefined || options.schedules !== undefined;
    const webSocketFunctions = options.webSocket ?? (fixtures ? undefined : webSocketFunctionsOf(functions));
    const webSocket = webSocketFunctions
      ? new LocalWebSocketApi({
          functions: webSocketFunctions,
          invoke,
          account: { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID },
          logger: logger.child('websocket'),
        })
      : undefined;
    const webSocketUrls = (await webSocket?.listen(options.webSocketPort ?? 0, host)) ?? {
      url: '',
      managementEndpoint: '',
    };
    if (webSocket) cleanups.push(() => webSocket.close());
    const jwksUrl = `${apiUrl}/local/.well-known/jwks.json`;

    const dynamoDbClient = new DynamoDBClient({
      endpoint: dynamoDbEndpoint,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    cleanups.push(async () => dynamoDbClient.destroy());
    // A table nobody reads the stream of gets none: DynamoDB Local's streams slow every write.
    const table = await ensureTable(dynamoDbClient, tableName, { stream: streamTargets.length > 0 });
    logger.info(`table ${tableName} ${table === 'created' ? 'created' : 'already there'}`);
    const idempotencyTableName = await ensureIdempotencyTable(dynamoDbClient, tableName);

    const sesFromAddress = options.sesFromAddress ?? 'no-reply@patient-messaging.local';
    const sesConfigurationSet = `${tableName}-emails`;
    // What AWS would allow each function, from the same declarations and the same derivation as CDK.
    const iam = iamEnforcement({
      account: { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID },
      resources: serviceResources({
        partition: 'aws',
        region: LOCAL_REGION,
        accountId: LOCAL_ACCOUNT_ID,
        tableName,
        idempotencyTableName: IDEMPOTENCY_TABLE.nameFor(tableName),
        busName,
        senderAddress: sesFromAddress,
        configurationSetName: sesConfigurationSet,
      }),
      declarations: functions,
      onDenied: (name, why) => logger.error(`IAM: ${name} is not allowed ${why}`),
    });
    emulateLocally({ decorateClient: iam.decorate });
    cleanups.push(async () => {
      if (localEmulation().decorateClient === iam.decorate) emulateLocally({ decorateClient: undefined });
    });

    const env = lambdaEnvironment({
      tableName,
      eventBusName: busName,
      dynamoDbEndpoint,
      eventBridgeEndpoint: eventBusUrl,
      sesEndpoint: ses.url,
      sesFromAddress,
      sesConfigurationSet,
      appBaseUrl: options.appBaseUrl ?? publicApiUrl,
      idempotencyTableName,
      s3Endpoint: s3.url,
      auditBucketName: auditBucket,
      exportBucketName: LOCAL_EXPORT_BUCKET,
      ...(options.quotas && { quotas: options.quotas }),
      webSocketManagementEndpoint: webSocketUrls.managementEndpoint,
      // One local issuer signs for both pools; the audience (the app client) tells them apart, as in local/auth.ts.
      webSocketAuthPools: Object.fromEntries(
        Object.entries(auth.audiences).map(([pool, audience]) => [
          pool,
          { issuer: auth?.issuer, audience, jwksUrl },
        ]),
      ),
      attachmentBucketName: LOCAL_ATTACHMENT_BUCKET,
    });
    applyLambdaEnvironment(env);
    const loaded = await loadHandlers(
      [
        ...functionUses(routes, rules, schedules),
        ...Object.values(webSocketFunctions ?? {}).map(
          (name): FunctionUse => ({ name, kind: 'event', usedBy: 'the WebSocket API' }),
        ),
        ...streamTargets.map(
          (t): FunctionUse => ({ name: t.name, kind: 'event', usedBy: 'the table stream' }),
        ),
      ],
      {
        functionsDir: options.functionsDir ?? `${REPO_ROOT}functions`,
        ...(options.handlers ? { overrides: options.handlers } : {}),
        ...(options.allowMissingHandlers ? { allowMissing: true } : {}),
        envFingerprint: JSON.stringify(env),
        onMissing: (file, usedBy) =>
          logger.warn(`missing ${file} (${usedBy.join('; ')}): serving 501 / failing deliveries`),
      },
    );
    for (const [name, handler] of loaded)
      handlers.set(name, options.wrapHandlers?.(name, handler) ?? handler);

    // The table's stream to the stream functions (the outbox publisher), as Lambda's event source mapping does.
    const streams = new LocalStreamPoller({
      dynamoDb: dynamoDbClient,
      endpoint: dynamoDbEndpoint,
      region: LOCAL_REGION,
      tableName,
      targets: streamTargets,
      invoke: (target, event) => invoke(target, event),
      logger: logger.child('stream'),
      ...(options.streamCheckpointFile && { checkpointFile: options.streamCheckpointFile }),
    });
    await streams.start();
    cleanups.push(() => streams.stop());
    streamDeadLetters = () => streams.deadLetters;
    bus.waitFor(streams);

    scheduler.start(options.scheduleIntervalSeconds ?? 60);
    ready = true;

    const urls: LocalStackUrls = {
      api: apiUrl,
      docs: `${publicApiUrl}/docs`,
      token: `${apiUrl}/local/token`,
      jwks: `${apiUrl}/local/.well-known/jwks.json`,
      events: `${apiUrl}/local/events`,
      clock: `${apiUrl}/local/clock`,
      sesInbox: `${ses.url}/`,
      ses: ses.url,
      dynamoDb: dynamoDbEndpoint,
      eventBus: eventBusUrl,
      s3: s3.url,
      webSocket: webSocketUrls.url,
      webSocketManagement: webSocketUrls.managementEndpoint,
    };

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        scheduler.stop();
        await bus.drain(2000).catch(() => logger.warn('stopping with deliveries still in flight'));
        await cleanup();
      })();
      return stopping;
    };
    return {
      urls,
      tableName,
      busName,
      env,
      auth,
      bus,
      streams,
      scheduler,
      clock,
      ses,
      s3,
      auditBucket,
      dynamoDbClient,
      iam,
      webSocket,
      stop,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
};
