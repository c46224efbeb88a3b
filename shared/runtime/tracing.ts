/**
 * X-Ray tracing without the X-Ray SDK (docs/adr/0006-bundle-size.md): what the
 * Powertools Tracer did for us, in the same shape, for a fraction of the bundle
 * (aws-xray-sdk-core and its dependencies were ~120 KB of every function, and
 * loading them a fifth of its cold start).
 *
 * With active tracing, Lambda records the function's segment itself and passes
 * its ids in the trace header. Here, as the X-Ray SDK does in Lambda, each
 * subsegment is sent on its own to the X-Ray daemon (UDP, the documented
 * segment-document format) as soon as it ends, with that segment as parent:
 *
 * - `## <handler>` around each invocation (`traceInvocation`), annotated
 *   `ColdStart` and `Service`; an error leaving the handler marks it as a fault
 *   with the error's name and masked message (never the response: nothing of a
 *   request or a message is recorded);
 * - one subsegment per AWS call of a captured SDK client (`captureAWSv3Client`),
 *   child of the invocation's: service, operation, region, request id, retries,
 *   the DynamoDB table, HTTP status, error/throttle/fault flags; and the call
 *   carries the trace header, so the service's own segment links to it.
 *
 * On only in AWS Lambda (AWS_EXECUTION_ENV) unless POWERTOOLS_TRACE_ENABLED is
 * "false", like the Powertools Tracer; nothing is sent for an unsampled request.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { errorFields, logger } from './logger.ts';

/** `_X_AMZN_TRACE_ID` / the `X-Amzn-Trace-Id` header: `Root=1-…;Parent=…;Sampled=1[;Lineage=…]`. */
export interface TraceHeader {
  root: string;
  parent: string | undefined;
  sampled: boolean;
  /** Any other fields (Lineage…), passed on unchanged to the calls this invocation makes. */
  extra: string[];
}

const TRACE_ID = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;

export const parseTraceHeader = (value: string | undefined): TraceHeader | undefined => {
  if (!value) return undefined;
  const header: TraceHeader = { root: '', parent: undefined, sampled: false, extra: [] };
  for (const part of value.split(';')) {
    const [key = '', field = ''] = part.trim().split('=');
    if (key === 'Root') header.root = field;
    else if (key === 'Parent') header.parent = field;
    else if (key === 'Sampled') header.sampled = field === '1';
    else if (key) header.extra.push(`${key}=${field}`);
  }
  return TRACE_ID.test(header.root) ? header : undefined;
};

/** A subsegment document as X-Ray takes it on its own (type "subsegment" with trace_id and parent_id). */
export interface SubsegmentDocument {
  type: 'subsegment';
  id: string;
  trace_id: string;
  parent_id: string;
  name: string;
  start_time: number;
  end_time: number;
  namespace?: 'aws';
  annotations?: Record<string, string | number | boolean>;
  aws?: Record<string, unknown>;
  http?: { response: { status: number } };
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  cause?: { exceptions: Array<{ id: string; type: string; message?: string; remote?: boolean }> };
}

export interface SegmentSink {
  send(document: SubsegmentDocument): void;
}

const PROTOCOL_HEADER = '{"format":"json","version":1}\n';

/** `AWS_XRAY_DAEMON_ADDRESS`: "host:port", or "tcp:host:port udp:host:port" (Lambda sets it). */
export const daemonEndpoint = (value: string | undefined): { host: string; port: number } => {
  const udp = value?.split(/\s+/).find((part) => part.startsWith('udp:'));
  const address =
    (udp ? udp.slice('udp:'.length) : value?.split(/\s+/).find((p) => !p.startsWith('tcp:'))) ?? '';
  const match = /^(.+):(\d+)$/.exec(address);
  return match ? { host: match[1] as string, port: Number(match[2]) } : { host: '127.0.0.1', port: 2000 };
};

/**
 * Sends each document in one datagram to the X-Ray daemon, on a socket of its
 * own closed once sent: nothing stays open while Lambda freezes the process
 * between invocations (what the X-Ray SDK does in Lambda too).
 */
export const daemonSink = (address = process.env.AWS_XRAY_DAEMON_ADDRESS): SegmentSink => {
  const { host, port } = daemonEndpoint(address);
  return {
    send(document) {
      const socket = createSocket('udp4');
      socket.unref();
      socket.send(`${PROTOCOL_HEADER}${JSON.stringify(document)}`, port, host, (error) => {
        if (error) logger.warn('X-Ray subsegment not sent', errorFields(error));
        socket.close();
      });
    },
  };
};

/** Where a new subsegment hangs: the invocation's `## handler` subsegment. */
interface Parent {
  traceId: string;
  id: string;
  sampled: boolean;
  extra: string[];
}

export interface Tracer {
  readonly enabled: boolean;
  /** Runs one invocation inside its `## <handler>` subsegment (a plain call when tracing is off). */
  traceInvocation<T>(run: () => Promise<T>): Promise<T>;
  /** Adds a subsegment per call of this SDK client (the client itself when tracing is off). */
  captureAWSv3Client<C>(client: C): C;
}

export interface TracerOptions {
  serviceName: string;
  enabled: boolean;
  sink: SegmentSink;
  /** The function's handler setting (`_HANDLER`, e.g. index.handler): the subsegment is `## <handler>`. */
  handlerName: string;
  /** The current invocation's trace header. */
  traceHeader: () => string | undefined;
  /** Seconds since the epoch (X-Ray's times). */
  now?: () => number;
}

const newId = () => randomBytes(8).toString('hex');

/** Error codes the SDK's retry strategy treats as throttling, for the services these functions call. */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'LimitExceededException',
]);

const exceptionOf = (error: unknown, remote: boolean) => {
  const { errorName, errorMessage } = errorFields(error);
  return {
    id: newId(),
    type: errorName,
    ...(errorMessage !== undefined && { message: errorMessage }),
    remote,
  };
};

/** What the tracer needs of an SDK v3 client. */
interface SdkClient {
  config?: { region?: unknown };
  middlewareStack: {
    add(
      middleware: unknown,
      options: { step: 'build'; priority: 'normal'; name: string; override: boolean },
    ): void;
  };
}

interface SdkMetadata {
  httpStatusCode?: number;
  requestId?: string;
  attempts?: number;
}

/** The DynamoDB table(s) a call names (what the X-Ray SDK records of DynamoDB requests). */
const tablesOf = (input: Record<string, unknown>): Record<string, unknown> => {
  if (typeof input.TableName === 'string') {
    return {
      table_name: input.TableName,
      ...(typeof input.IndexName === 'string' && { index_name: input.IndexName }),
    };
  }
  const names = new Set<string>();
  if (input.RequestItems && typeof input.RequestItems === 'object') {
    for (const name of Object.keys(input.RequestItems)) names.add(name);
  }
  if (Array.isArray(input.TransactItems)) {
    for (const item of input.TransactItems as Array<Record<string, { TableName?: unknown }>>) {
      for (const action of Object.values(item ?? {})) {
        if (typeof action?.TableName === 'string') names.add(action.TableName);
      }
    }
  }
  return names.size > 0 ? { table_names: [...names] } : {};
};

export const createTracer = (options: TracerOptions): Tracer => {
  const now = options.now ?? (() => Date.now() / 1000);
  const current = new AsyncLocalStorage<Parent>();
  let coldStart = true;

  const send = (parent: { traceId: string; id: string; sampled: boolean }, document: object) => {
    if (!parent.sampled) return;
    options.sink.send({
      type: 'subsegment',
      trace_id: parent.traceId,
      parent_id: parent.id,
      ...document,
    } as SubsegmentDocument);
  };

  const traceInvocation = async <T>(run: () => Promise<T>): Promise<T> => {
    if (!options.enabled) return run();
    const isColdStart = coldStart;
    coldStart = false;
    const header = parseTraceHeader(options.traceHeader());
    // Without the function segment's id there is nothing to attach to (Lambda's pass-through mode).
    if (!header?.parent) return run();
    const id = newId();
    const started = now();
    const subsegment = {
      id,
      name: `## ${options.handlerName}`,
      start_time: started,
      annotations: { ColdStart: isColdStart, Service: options.serviceName },
    };
    const lambdaSegment = { traceId: header.root, id: header.parent, sampled: header.sampled };
    try {
      const result = await current.run(
        { traceId: header.root, id, sampled: header.sampled, extra: header.extra },
        run,
      );
      send(lambdaSegment, { ...subsegment, end_time: now() });
      return result;
    } catch (error) {
      send(lambdaSegment, {
        ...subsegment,
        end_time: now(),
        fault: true,
        cause: { exceptions: [exceptionOf(error, false)] },
      });
      throw error;
    }
  };

  const captureAWSv3Client = <C>(client: C): C => {
    if (!options.enabled) return client;
    const { config, middlewareStack } = client as unknown as SdkClient;
    const region = async (): Promise<string | undefined> => {
      const value = typeof config?.region === 'function' ? await config.region() : config?.region;
      return typeof value === 'string' ? value : undefined;
    };
    const middleware =
      (
        next: (args: {
          request?: unknown;
          input?: unknown;
        }) => Promise<{ output?: { $metadata?: SdkMetadata } }>,
        context: { clientName?: string; commandName?: string },
      ) =>
      async (args: { request?: unknown; input?: unknown }) => {
        const parent = current.getStore();
        if (!parent) return next(args);
        const id = newId();
        const request = args.request as { headers?: Record<string, string> } | undefined;
        if (request?.headers) {
          request.headers['X-Amzn-Trace-Id'] = [
            `Root=${parent.traceId}`,
            `Parent=${id}`,
            `Sampled=${parent.sampled ? 1 : 0}`,
            ...parent.extra,
          ].join(';');
        }
        const started = now();
        const service = (context.clientName ?? 'AWS').replace(/Client$/, '');
        const input = (args.input ?? {}) as Record<string, unknown>;
        const record = async (metadata: SdkMetadata | undefined, failure?: { error: unknown }) => {
          const status = metadata?.httpStatusCode;
          const errorName = (failure?.error as { name?: string } | undefined)?.name ?? '';
          const throttled = status === 429 || THROTTLING.has(errorName);
          const fault = failure !== undefined && (status === undefined || status >= 500);
          send(parent, {
            id,
            name: service,
            namespace: 'aws',
            start_time: started,
            end_time: now(),
            aws: {
              operation: (context.commandName ?? '').replace(/Command$/, ''),
              region: await region(),
              ...(metadata?.requestId && { request_id: metadata.requestId }),
              retries: Math.max((metadata?.attempts ?? 1) - 1, 0),
              ...(service === 'DynamoDB' && tablesOf(input)),
            },
            ...(status !== undefined && { http: { response: { status } } }),
            ...(throttled && { throttle: true }),
            ...(failure && (fault ? { fault: true } : { error: true })),
            ...(failure && { cause: { exceptions: [exceptionOf(failure.error, true)] } }),
          });
        };
        try {
          const result = await next(args);
          await record(result?.output?.$metadata);
          return result;
        } catch (error) {
          await record((error as { $metadata?: SdkMetadata }).$metadata, { error });
          throw error;
        }
      };
    // The build step (around the retries, which come later), before the SDK's recursion detection
    // (priority low), which only sets the header when it is absent.
    middlewareStack.add(middleware, {
      step: 'build',
      priority: 'normal',
      name: 'xrayTracing',
      override: true,
    });
    return client;
  };

  return { enabled: options.enabled, traceInvocation, captureAWSv3Client };
};

/** Like the Powertools Tracer: in AWS Lambda only (not SAM local), unless POWERTOOLS_TRACE_ENABLED=false. */
export const tracingEnabled = (env: NodeJS.ProcessEnv = process.env): boolean =>
  env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== 'false' &&
  Boolean(env.AWS_EXECUTION_ENV) &&
  env.AWS_SAM_LOCAL !== 'true';

/** Lambda's runtime keeps the current invocation's header in its invoke store, else in the environment. */
const lambdaTraceHeader = (): string | undefined =>
  (
    globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId?: () => string | undefined } } }
  ).awslambda?.InvokeStore?.getXRayTraceId?.() ?? process.env._X_AMZN_TRACE_ID;

/** The process's tracer (one per function, like its logger and metrics). */
export const tracer: Tracer = createTracer({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'patient-messaging',
  enabled: tracingEnabled(),
  sink: daemonSink(),
  handlerName: process.env._HANDLER ?? 'handler',
  traceHeader: lambdaTraceHeader,
});
