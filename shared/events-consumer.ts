/**
 * Thin handlers for EventBridge consumers and scheduled jobs, the event-side
 * twin of shared/http/route.ts: Powertools logger/tracer/metrics through middy,
 * the detail parsed with the event's zod schema, one use case per event type.
 *
 *   import declaration from './function.ts';
 *   export const handler = eventConsumer(declaration, [
 *     on(AppointmentBooked, (data, event, deps) => recordAppointmentBooked(deps, data, event)),
 *   ]);
 *   export const handler = scheduledJob(declaration, (event, deps) => sweepDueWork(deps));
 *
 * The function's dependencies are built at cold start from its declaration
 * (shared/runtime/function-deps.ts).
 *
 * Our own events arrive as `{ metadata, data }` (shared/runtime/publisher.ts)
 * and `data` is parsed; another service's (source `agenda`) arrive as plain
 * details and `detail` is parsed. A detail that fails its schema throws, so the
 * delivery is retried and then dead-lettered rather than silently dropped.
 * EventBridge delivers at least once: every use case behind this is idempotent.
 */
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type {
  Context,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  EventBridgeEvent,
  ScheduledEvent,
} from 'aws-lambda';
import type { EventDefinition } from '../events/define.ts';
import { EVENT_SOURCE } from './config.ts';
import type {
  EventFunctionDeclaration,
  ScheduledFunctionDeclaration,
  StreamFunctionDeclaration,
} from './function-model/declaration.ts';
import {
  type BusAdapter,
  functionDeps,
  type MailerAdapter,
  type RepositoriesAdapter,
} from './runtime/function-deps.ts';
import { errorFields, logger, metrics, tracer, withInvocationLogger } from './runtime/logger.ts';
import { withAuditContext } from './use-cases/audit.ts';
import type { Deps } from './use-cases/deps.ts';
import * as z from './validation.ts';

/** What a consumer knows of the delivery besides the parsed detail. */
export interface DeliveredEvent {
  /** EventBridge event id (the same on a redelivery). */
  id: string;
  /** EventBridge time of the event (ISO-8601, second precision). */
  time: string;
  source: string;
  detailType: string;
  /** The publisher's correlation id, for our own enveloped events. */
  correlationId: string | null;
}

export interface EventHandlerEntry {
  definition: EventDefinition;
  run: (data: unknown, event: DeliveredEvent, deps: Deps) => Promise<unknown>;
}

/** Binds one event definition to its use case, typed by the definition's schema. */
export const on = <E extends EventDefinition>(
  definition: E,
  run: (data: z.infer<E['schema']>, event: DeliveredEvent, deps: Deps) => Promise<unknown>,
): EventHandlerEntry => ({ definition, run: run as EventHandlerEntry['run'] });

export class InvalidEventDetail extends Error {
  constructor(
    detailType: string,
    readonly issues: Array<{ path: string; code: string }>,
  ) {
    super(`Invalid ${detailType} detail`);
    this.name = 'InvalidEventDetail';
  }
}

type AnyEventBridgeEvent = EventBridgeEvent<string, unknown>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses one delivery's detail with its definition; our envelope is unwrapped first. */
export const parseDetail = (definition: EventDefinition, event: AnyEventBridgeEvent) => {
  const enveloped = definition.source === EVENT_SOURCE;
  const detail = event.detail;
  const payload = enveloped && isObject(detail) ? detail.data : detail;
  const result = z.safeParse(definition.schema, payload);
  if (!result.success) {
    // Paths and codes only: a detail may hold personal data (the agenda sends names).
    throw new InvalidEventDetail(
      definition.detailType,
      result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), code: i.code })),
    );
  }
  const metadata = enveloped && isObject(detail) && isObject(detail.metadata) ? detail.metadata : null;
  return {
    data: result.data,
    correlationId: typeof metadata?.correlationId === 'string' ? metadata.correlationId : null,
  };
};

/**
 * A failure leaves the function as this error: its name and the failed step only.
 * The original is logged with errorFields (emails masked) before; the Lambda
 * runtime and X-Ray would otherwise record its raw message (an SES refusal
 * quotes the recipient's address).
 */
export class ConsumerFailed extends Error {
  constructor(cause: unknown) {
    super(`Delivery failed: ${(cause as Error)?.name ?? 'Error'}`);
    this.name = 'ConsumerFailed';
  }
}

/**
 * Traces, flushes metrics, and gives each invocation a logger of its own (never
 * logging the event: the agenda's details carry patients' names and emails).
 */
const instrument = <E, R>(handler: (event: E, context: Context) => Promise<R>) => {
  const traced = middy(async (event: E, context: Context) => {
    try {
      return await handler(event, context);
    } catch (error) {
      if (error instanceof InvalidEventDetail) throw error;
      logger.error('Delivery failed; EventBridge will retry it, then park it in the DLQ', errorFields(error));
      throw new ConsumerFailed(error);
    }
  })
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics)) as unknown as (event: E, context: Context) => Promise<R>;
  return (event: E, context: Context): Promise<R> =>
    withInvocationLogger(context, () => traced(event, context));
};

export interface ConsumerAdapters {
  /** For the functions declared `sendsEmail` only (shared/runtime/ses-mailer.ts). */
  mailer?: MailerAdapter;
  /** For the function declared to publish (the outbox publisher, shared/runtime/event-bus.ts). */
  bus?: BusAdapter;
  /** The optional repositories its declaration's items call for (shared/runtime/optional-repositories.ts). */
  repositories?: RepositoriesAdapter;
  /** Tests of the adapter only: dependencies instead of the ones built from the environment. */
  deps?: () => Deps;
}

/** Cold start: the adapters must match the declaration, then the dependencies are built once. */
const coldStart = (
  declaration: EventFunctionDeclaration | ScheduledFunctionDeclaration | StreamFunctionDeclaration,
  adapters: ConsumerAdapters,
): (() => Deps) => {
  if (Boolean(declaration.access.sendsEmail) !== Boolean(adapters.mailer)) {
    throw new Error(
      `Function ${declaration.name}: a mailer adapter must be passed exactly when the declaration says sendsEmail`,
    );
  }
  if ((declaration.access.publishes ?? []).length > 0 !== Boolean(adapters.bus)) {
    throw new Error(
      `Function ${declaration.name}: a bus adapter must be passed exactly when the declaration publishes events`,
    );
  }
  if (adapters.deps) return adapters.deps;
  const deps = functionDeps(declaration, {
    ...(adapters.mailer && { mailer: adapters.mailer }),
    ...(adapters.bus && { bus: adapters.bus }),
    ...(adapters.repositories && { repositories: adapters.repositories }),
  });
  return () => deps;
};

/**
 * A consumer of the events its declaration's rule delivers. An event type it
 * does not handle is logged and ignored (the rule's pattern should not have
 * sent it); handling an event its rule does not deliver fails at cold start.
 */
export const eventConsumer = (
  declaration: EventFunctionDeclaration,
  entries: readonly EventHandlerEntry[],
  adapters: ConsumerAdapters = {},
) => {
  const name = declaration.name;
  const undelivered = entries.filter((e) => !declaration.rule.events.includes(e.definition));
  if (undelivered.length > 0) {
    throw new Error(
      `Function ${name} handles ${undelivered.map((e) => e.definition.detailType).join(', ')}, which its rule does not deliver`,
    );
  }
  const getDeps = coldStart(declaration, adapters);
  return instrument(async (event: AnyEventBridgeEvent) => {
    const entry = entries.find(
      (e) => e.definition.source === event.source && e.definition.detailType === event['detail-type'],
    );
    logger.appendKeys({ consumer: name, eventId: event.id, detailType: event['detail-type'] });
    if (!entry) {
      logger.warn('Event type not handled by this consumer', { source: event.source });
      return;
    }
    let parsed: ReturnType<typeof parseDetail>;
    try {
      parsed = parseDetail(entry.definition, event);
    } catch (error) {
      metrics.addMetric('InvalidEventDetail', 'Count', 1);
      logger.error('Event detail refused by its schema', {
        issues: (error as InvalidEventDetail).issues,
      });
      throw error;
    }
    // The request that caused the event, else the event itself: on every log line and every event this causes.
    logger.setCorrelationId(parsed.correlationId ?? event.id);
    await entry.run(
      parsed.data,
      {
        id: event.id,
        time: event.time,
        source: event.source,
        detailType: event['detail-type'],
        correlationId: parsed.correlationId,
      },
      // What this delivery changes in threads is audited as `system` (the consumer) in its transaction; the
      // events it causes carry the correlation id of the request that started the chain.
      withAuditContext(getDeps(), {
        actor: { role: 'system', id: name },
        requestId: event.id,
        correlationId: parsed.correlationId ?? event.id,
      }),
    );
  });
};

/** A scheduled job; what it returns is logged as its summary. */
export const scheduledJob = <R>(
  declaration: ScheduledFunctionDeclaration,
  run: (event: ScheduledEvent, deps: Deps, context: Context) => Promise<R>,
  adapters: ConsumerAdapters = {},
) => {
  const name = declaration.name;
  const getDeps = coldStart(declaration, adapters);
  return instrument(async (event: ScheduledEvent, context: Context) => {
    logger.appendKeys({ job: name, eventId: event.id });
    logger.setCorrelationId(event.id);
    const result = await run(
      event,
      withAuditContext(getDeps(), { actor: { role: 'system', id: name }, requestId: event.id }),
      context,
    );
    logger.info('Scheduled job done', { summary: result as unknown as Record<string, unknown> });
    return result;
  });
};

/** What a stream consumer answers: the first record to retry from (Lambda's ReportBatchItemFailures). */
export interface StreamBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/**
 * A consumer of the table's stream (its event source mapping filters the records
 * first). It answers the first record that failed, so the batch is retried from
 * there and nothing before it is delivered twice; a throw retries the whole batch.
 */
export const streamConsumer = (
  declaration: StreamFunctionDeclaration,
  run: (records: DynamoDBRecord[], deps: Deps) => Promise<StreamBatchResponse>,
  adapters: ConsumerAdapters = {},
) => {
  const getDeps = coldStart(declaration, adapters);
  return instrument(async (event: DynamoDBStreamEvent): Promise<StreamBatchResponse> => {
    logger.appendKeys({ consumer: declaration.name, records: event.Records.length });
    return run(event.Records, getDeps());
  });
};
