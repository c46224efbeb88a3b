/**
 * The local EventBridge bus.
 *
 * - An HTTP endpoint speaking the PutEvents JSON protocol (awsJson1.1), so the real
 *   @aws-sdk/client-eventbridge pointed at EVENTBRIDGE_ENDPOINT works unchanged.
 * - Each accepted entry is wrapped in the EventBridge envelope and matched against
 *   the rules (derived from the function declarations); every matching target is invoked
 *   asynchronously, at least once: up to `maxAttempts` tries with backoff, then the
 *   event goes to an in-memory dead-letter list.
 * - A bounded log of published events (ids, types, details) and of delivery
 *   attempts is kept for tests and `GET /local/events`.
 * - `drain()` resolves once every delivery, retries included, has settled.
 * - Envelopes without a `Time` are stamped with `clock` (the stack's local clock,
 *   SPEC 11.1), as EventBridge stamps them with its own time.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { EventBridgeEvent } from 'aws-lambda';
import type { RuleDefinition } from '../shared/function-model/triggers.ts';
import { type Clock, systemClock } from '../shared/runtime/clock.ts';
import { eventTime, LOCAL_ACCOUNT_ID, LOCAL_REGION } from './constants.ts';
import { type EventPatternNode, matchesPattern, validatePattern } from './event-pattern.ts';
import { describeError, type Logger } from './logger.ts';
import { closeServer, listen } from './net.ts';

export type BusEvent = EventBridgeEvent<string, unknown>;

/** Invokes a target function; attempt starts at 1. */
export type InvokeTarget = (target: string, event: BusEvent, attempt: number) => Promise<unknown>;

/** One PutEvents request entry, as the SDK sends it. */
export interface PutEventsEntry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  EventBusName?: unknown;
  Time?: unknown;
  Resources?: unknown;
  TraceHeader?: unknown;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

export interface PublishedEvent {
  id: string;
  time: string;
  source: string;
  detailType: string;
  eventBusName: string;
  detail: unknown;
  matchedRules: string[];
}

export interface DeliveryAttempt {
  eventId: string;
  rule: string;
  target: string;
  attempt: number;
  ok: boolean;
  error?: string;
}

export interface DeadLetter {
  rule: string;
  target: string;
  attempts: number;
  error: string;
  failedAt: string;
  event: BusEvent;
}

export interface LocalEventBusOptions {
  busName: string;
  rules: readonly RuleDefinition[];
  invoke: InvokeTarget;
  logger?: Logger;
  /** Total tries per delivery (EventBridge → async Lambda: 3). */
  maxAttempts?: number;
  /** Wait before retry n (last value repeats). Production waits minutes; locally short. */
  retryDelaysMs?: readonly number[];
  /** How many published events / delivery attempts to remember. */
  logLimit?: number;
  /** Deliver every event twice, to exercise consumers' idempotency. */
  duplicateDeliveries?: boolean;
  /** Stamps events without a Time, and dead letters (default: the system clock). */
  clock?: Clock;
}

const MAX_ENTRIES = 10;
const MAX_ENTRY_BYTES = 256 * 1024;
const MAX_REQUEST_BYTES = 1024 * 1024;

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const parseTime = (value: unknown, now: Date): Date | undefined => {
  if (value === undefined || value === null) return now;
  // The SDK serializes Date as epoch seconds in the JSON protocol.
  const date =
    typeof value === 'number' ? new Date(value * 1000) : typeof value === 'string' ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
};

const pushBounded = <T>(list: T[], item: T, limit: number) => {
  list.push(item);
  if (list.length > limit) list.splice(0, list.length - limit);
};

export class LocalEventBus {
  readonly busName: string;
  private readonly rules: readonly RuleDefinition[];
  private readonly invoke: InvokeTarget;
  private readonly logger: Logger | undefined;
  private readonly maxAttempts: number;
  private readonly retryDelaysMs: readonly number[];
  private readonly logLimit: number;
  private readonly duplicateDeliveries: boolean;
  private readonly clock: Clock;
  private readonly published: PublishedEvent[] = [];
  private readonly attempts: DeliveryAttempt[] = [];
  private readonly dlq: DeadLetter[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private closed = false;
  /** Deliveries that have settled (succeeded, or given up): drain() knows consumers ran. */
  private settledDeliveries = 0;
  private upstream: { flush(timeoutMs?: number): Promise<void>; readonly deliveredCount: number } | undefined;
  private server: Server | undefined;
  url: string | undefined;

  constructor(options: LocalEventBusOptions) {
    for (const rule of options.rules) {
      try {
        validatePattern(rule.pattern);
      } catch (error) {
        throw new Error(`Rule ${rule.name}: ${(error as Error).message}`);
      }
    }
    this.busName = options.busName;
    this.rules = options.rules;
    this.invoke = options.invoke;
    this.logger = options.logger;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.retryDelaysMs = options.retryDelaysMs ?? [200, 1000];
    this.logLimit = options.logLimit ?? 1000;
    this.duplicateDeliveries = options.duplicateDeliveries ?? false;
    this.clock = options.clock ?? systemClock;
  }

  /** Published events, oldest first (bounded). */
  get events(): readonly PublishedEvent[] {
    return this.published;
  }

  get deliveryAttempts(): readonly DeliveryAttempt[] {
    return this.attempts;
  }

  /** Deliveries that failed every attempt. */
  get deadLetters(): readonly DeadLetter[] {
    return this.dlq;
  }

  /** Forgets the event log, attempts and dead letters (not in-flight deliveries). */
  clearLog(): void {
    this.published.length = 0;
    this.attempts.length = 0;
    this.dlq.length = 0;
  }

  /** Rules of the application bus (or, with `onBus: 'default'`, of the default bus) whose pattern matches an envelope. */
  matchingRules(event: BusEvent, onBus: 'service' | 'default' = 'service'): RuleDefinition[] {
    return this.rules.filter(
      (rule) =>
        (rule.bus === 'default') === (onBus === 'default') &&
        matchesPattern(rule.pattern as unknown as EventPatternNode, event),
    );
  }

  /**
   * An event an AWS service puts on the account's default bus (S3's "Object Created" for the
   * attachments, local/s3-local.ts): what no PutEvents caller may do (`aws.*` sources are refused
   * there, as in AWS). Delivered to the rules declared on the default bus.
   */
  putServiceEvent(input: { source: string; detailType: string; detail: Record<string, unknown> }): string {
    return this.putEntry(
      { Source: input.source, DetailType: input.detailType, Detail: JSON.stringify(input.detail) },
      { awsService: true },
    ).EventId;
  }

  /** The PutEvents operation: validates each entry, publishes the good ones. */
  putEvents(entries: readonly PutEventsEntry[]): PutEventsResult {
    const results = entries.map((entry) => this.putEntry(entry));
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  private putEntry(entry: PutEventsEntry): PutEventsResultEntry;
  private putEntry(entry: PutEventsEntry, from: { awsService: true }): { EventId: string };
  private putEntry(
    entry: PutEventsEntry,
    from: { awsService: boolean } = { awsService: false },
  ): PutEventsResultEntry {
    const fail = (ErrorCode: string, ErrorMessage: string) => ({ ErrorCode, ErrorMessage });
    if (this.closed) return fail('InternalException', 'The local bus is shutting down.');
    if (typeof entry.Source !== 'string' || entry.Source === '') {
      return fail('InvalidArgument', 'Parameter Source is not valid. Reason: Source is a required argument.');
    }
    if (entry.Source.startsWith('aws.') && !from.awsService) {
      return fail('NotAuthorizedForSourceException', `Not authorized for the source ${entry.Source}.`);
    }
    if (typeof entry.DetailType !== 'string' || entry.DetailType === '') {
      return fail(
        'InvalidArgument',
        'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      );
    }
    if (typeof entry.Detail !== 'string') {
      return fail('InvalidArgument', 'Parameter Detail is not valid. Reason: Detail is a required argument.');
    }
    if (Buffer.byteLength(JSON.stringify(entry)) > MAX_ENTRY_BYTES) {
      return fail('InvalidArgument', 'Entry is larger than 256 KB.');
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return fail('MalformedDetail', 'Detail is malformed.');
    }
    if (!isJsonObject(detail)) return fail('MalformedDetail', 'Detail is malformed.');
    const busName = this.resolveBusName(entry.EventBusName);
    if (busName === undefined) {
      return fail('ResourceNotFoundException', `Event bus ${String(entry.EventBusName)} does not exist.`);
    }
    const time = parseTime(entry.Time, this.clock.now());
    if (!time) return fail('InvalidArgument', 'Parameter Time is not valid.');
    const resources = Array.isArray(entry.Resources) ? entry.Resources.map(String) : [];

    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: LOCAL_ACCOUNT_ID,
      time: eventTime(time),
      region: LOCAL_REGION,
      resources,
      detail,
    };
    // Rules live on the application bus; an event on "default" reaches none (as in AWS).
    const rules = from.awsService
      ? this.matchingRules(event, 'default')
      : busName === this.busName
        ? this.matchingRules(event)
        : [];
    pushBounded(
      this.published,
      {
        id: event.id,
        time: event.time,
        source: event.source,
        detailType: event['detail-type'],
        eventBusName: busName,
        detail,
        matchedRules: rules.map((r) => r.name),
      },
      this.logLimit,
    );
    this.logger?.info(
      `${event.source} / ${event['detail-type']} ${event.id} on ${busName} → ${
        rules.map((r) => r.target).join(', ') || 'no rule'
      }`,
    );
    for (const rule of rules) {
      this.track(this.deliver(rule, event));
      if (this.duplicateDeliveries) this.track(this.deliver(rule, event));
    }
    return { EventId: event.id };
  }

  private resolveBusName(value: unknown): string | undefined {
    if (value === undefined || value === null || value === '' || value === 'default') return 'default';
    if (typeof value !== 'string') return undefined;
    const name = value.startsWith('arn:') ? value.slice(value.lastIndexOf('/') + 1) : value;
    return name === this.busName || name === 'default' ? name : undefined;
  }

  private track(delivery: Promise<void>) {
    this.pending.add(delivery);
    void delivery.finally(() => {
      this.pending.delete(delivery);
      this.settledDeliveries += 1;
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = {
        wake: () => {
          clearTimeout(handle.timer);
          this.timers.delete(handle);
          resolve();
        },
        timer: setTimeout(() => handle.wake(), ms),
      };
      this.timers.add(handle);
    });
  }

  private async deliver(rule: RuleDefinition, event: BusEvent): Promise<void> {
    let lastError = '';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (this.closed) return;
      try {
        // Each target gets its own copy, as separate Lambda invocations would.
        await this.invoke(rule.target, structuredClone(event), attempt);
        pushBounded(
          this.attempts,
          { eventId: event.id, rule: rule.name, target: rule.target, attempt, ok: true },
          this.logLimit,
        );
        return;
      } catch (error) {
        lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        pushBounded(
          this.attempts,
          { eventId: event.id, rule: rule.name, target: rule.target, attempt, ok: false, error: lastError },
          this.logLimit,
        );
        this.logger?.warn(
          `${rule.target} failed on ${event['detail-type']} ${event.id} (attempt ${attempt}/${this.maxAttempts}): ${describeError(error)}`,
        );
      }
      if (attempt < this.maxAttempts) {
        const delays = this.retryDelaysMs;
        await this.sleep(delays[Math.min(attempt - 1, delays.length - 1)] ?? 0);
      }
    }
    if (this.closed) return;
    this.dlq.push({
      rule: rule.name,
      target: rule.target,
      attempts: this.maxAttempts,
      error: lastError,
      failedAt: this.clock.now().toISOString(),
      event,
    });
    this.logger?.error(
      `${rule.target} gave up on ${event.id} after ${this.maxAttempts} attempts → dead letters`,
    );
  }

  /**
   * Events reach the bus from the outbox through the stream readers: drain() then
   * also waits for them, until a whole round moves nothing on either side.
   */
  waitFor(upstream: { flush(timeoutMs?: number): Promise<void>; readonly deliveredCount: number }): void {
    this.upstream = upstream;
  }

  /** Resolves when no delivery (retries included, and events they publish) is in flight, upstream included. */
  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // A round that read nothing from the stream and ran no consumer: nothing can be left in flight.
      const before = { read: this.upstream?.deliveredCount ?? 0, ran: this.settledDeliveries };
      await this.upstream?.flush(Math.max(1, deadline - Date.now()));
      await this.drainDeliveries(deadline, timeoutMs);
      const after = { read: this.upstream?.deliveredCount ?? 0, ran: this.settledDeliveries };
      if (after.read === before.read && after.ran === before.ran) return;
    }
  }

  private async drainDeliveries(deadline: number, timeoutMs: number): Promise<void> {
    while (this.pending.size > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0)
        throw new Error(`Local bus not idle after ${timeoutMs} ms (${this.pending.size} pending)`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.pending]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, remaining);
        }),
      ]);
      clearTimeout(timer);
    }
  }

  /** Serves PutEvents over HTTP; resolves the endpoint URL. */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = createServer((req, res) => {
      this.handleHttp(req, res).catch((error) => {
        this.logger?.error(`PutEvents failed: ${describeError(error)}`);
        if (!res.headersSent) sendAwsError(res, 500, 'InternalException', 'Internal error');
      });
    });
    const bound = await listen(this.server, port, host, 'local event bus');
    this.url = `http://${host}:${bound}`;
    return this.url;
  }

  private async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || target !== 'AWSEvents.PutEvents') {
      req.resume();
      sendAwsError(res, 400, 'UnknownOperationException', `The local bus only serves AWSEvents.PutEvents`);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_REQUEST_BYTES) {
        sendAwsError(res, 413, 'ValidationException', 'Request is too large');
        req.destroy();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      sendAwsError(res, 400, 'SerializationException', 'Request body is not valid JSON');
      return;
    }
    const entries = isJsonObject(body) ? body.Entries : undefined;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
      sendAwsError(res, 400, 'ValidationException', `Entries must hold 1 to ${MAX_ENTRIES} entries`);
      return;
    }
    const result = this.putEvents(entries.map((e) => (isJsonObject(e) ? e : {}) as PutEventsEntry));
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(result));
  }

  /** Stops accepting events, abandons pending retries and closes the HTTP endpoint. */
  async close(): Promise<void> {
    this.closed = true;
    for (const handle of [...this.timers]) handle.wake();
    if (this.server) await closeServer(this.server);
  }
}

const sendAwsError = (res: ServerResponse, status: number, type: string, message: string) => {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-errortype': type,
    'x-amzn-requestid': randomUUID(),
  });
  res.end(JSON.stringify({ __type: type, message }));
};
