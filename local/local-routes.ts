/**
 * Routes that exist only in the local stack (never deployed), unauthenticated:
 *   POST /local/token                         {"sub","role","email"?,"email_verified"?} → {"token"}
 *   GET  /local/.well-known/jwks.json         the verification keys
 *   GET  /local/.well-known/openid-configuration
 *   GET  /local/events                        published events + dead letters
 *   GET  /local/stream-dead-letters?function=  the stream functions' dead letters as `aws sqs receive-message`
 *                                             prints a DLQ's messages (for `npm run stream:redrive -- --from-file`)
 *   POST /local/events                        one PutEvents entry, as the agenda would
 *   POST /local/sweep                         run the `untreated-sweep` schedule now
 *   POST /local/schedules/{name}              run any schedule now
 *   GET  /local/clock                         {"now","offsetMs"}: the stack's clock (SPEC 11.1)
 *   POST /local/clock                         {"advance":"PT25H"} or {"set":"<ISO-8601>"}, then
 *                                             (forward, unless "runSchedules": false) every schedule once
 *   GET  /local/health                        200 {"status":"ready"} / 503 {"status":"starting"}
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { type LocalAuth, tokenRequestSchema } from './auth.ts';
import { type ClockChange, clockRequestSchema, describeDuration, type LocalClock } from './clock.ts';
import type { LocalEventBus } from './event-bus.ts';
import { PayloadTooLarge, readBody, sendError, sendJson, validationDetails } from './http-util.ts';
import { describeError, type Logger } from './logger.ts';
import type { LocalScheduler } from './scheduler.ts';
import type { StreamDeadLetter } from './stream-poller.ts';

export const SWEEP_SCHEDULE = 'untreated-sweep';
const LOCAL_BODY_LIMIT = 1024 * 1024;

const detailSchema = z.union([
  z.record(z.string(), z.unknown()),
  z.string().refine((text) => {
    try {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    } catch {
      return false;
    }
  }, 'a JSON object, or a string holding one'),
]);

export const localEventSchema = z.strictObject({
  Source: z.string().min(1).max(256),
  DetailType: z.string().min(1).max(128),
  Detail: detailSchema,
  EventBusName: z.string().min(1).optional(),
  Time: z.iso.datetime({ offset: true }).optional(),
  Resources: z.array(z.string()).optional(),
});

export interface LocalRoutesDeps {
  auth: LocalAuth;
  bus: LocalEventBus;
  scheduler: LocalScheduler;
  clock: LocalClock;
  logger: Logger;
  /** What the stream readers gave up on (the stream functions' DLQs: SQS is not emulated). */
  streamDeadLetters?: () => readonly StreamDeadLetter[];
  /** False until every handler is loaded (GET /local/health answers 503 "starting"). */
  isReady(): boolean;
}

/** How long POST /local/clock waits for the deliveries its schedule runs caused. */
const CLOCK_DRAIN_MS = 10_000;

export interface ScheduleOutcome {
  schedule: string;
  target: string;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** What an answer of POST /local/clock says happened, in words. */
export const clockNote = (change: ClockChange, ran: readonly ScheduleOutcome[], runSchedules: boolean) => {
  if (change.byMs === 0) return 'The clock did not move; no schedule ran.';
  const by = describeDuration(change.byMs);
  if (change.byMs < 0) {
    return (
      `The clock went back ${by}, to ${change.to}. Nothing was undone and no schedule ran: what was ` +
      'written after that time (messages, events, audit entries, sendAt) is now dated in the future, and ' +
      'new ids still sort after the existing ones.'
    );
  }
  if (!runSchedules) {
    return (
      `The clock moved forward ${by}. No schedule ran ("runSchedules": false): ` +
      'POST /local/schedules/{name} or /local/sweep runs one as of the new time.'
    );
  }
  const failed = ran.filter((r) => !r.ok).map((r) => r.schedule);
  return (
    `The clock moved forward ${by}. Every schedule ran once as of the new time ` +
    `(${ran.map((r) => r.schedule).join(', ') || 'none defined'})` +
    (failed.length > 0 ? `; failed: ${failed.join(', ')} (see the local stack's log).` : '.')
  );
};

const parseJson = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
};

/** Handles /local/*; answers false when the path is not one of them. */
export const handleLocalRoute = async (
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  deps: LocalRoutesDeps,
): Promise<boolean> => {
  const method = req.method ?? 'GET';
  const readJson = async (): Promise<{ ok: true; value: unknown } | { ok: false }> => {
    let text: string;
    try {
      text = await readBody(req, LOCAL_BODY_LIMIT);
    } catch (error) {
      if (error instanceof PayloadTooLarge) {
        sendError(res, 413, 'PAYLOAD_TOO_LARGE', error.message);
        return { ok: false };
      }
      throw error;
    }
    const parsed = parseJson(text);
    if (!parsed.ok) sendError(res, 400, 'VALIDATION_ERROR', 'Body must be JSON');
    return parsed;
  };

  const runSchedule = async (name: string) => {
    req.resume();
    let run: Awaited<ReturnType<LocalScheduler['run']>>;
    try {
      run = await deps.scheduler.run(name);
    } catch (error) {
      deps.logger.error(`schedule ${name} failed: ${describeError(error)}`);
      sendError(res, 500, 'SCHEDULE_FAILED', `Schedule ${name} failed; see the local stack's log`);
      return;
    }
    if (!run.found) {
      sendError(
        res,
        404,
        'NOT_FOUND',
        `No schedule named ${name} (known: ${deps.scheduler.names.join(', ') || 'none'})`,
      );
      return;
    }
    sendJson(res, 200, { schedule: name, target: run.schedule.target, result: run.result ?? null });
  };

  if (method === 'POST' && path === '/local/token') {
    const body = await readJson();
    if (!body.ok) return true;
    const parsed = tokenRequestSchema.safeParse(body.value);
    if (!parsed.success) {
      sendError(res, 400, 'VALIDATION_ERROR', 'Invalid token request', validationDetails(parsed.error));
      return true;
    }
    sendJson(res, 200, { token: await deps.auth.issue(parsed.data) });
    return true;
  }
  if (method === 'GET' && path === '/local/.well-known/jwks.json') {
    sendJson(res, 200, deps.auth.jwks);
    return true;
  }
  if (method === 'GET' && path === '/local/.well-known/openid-configuration') {
    sendJson(res, 200, {
      issuer: deps.auth.issuer,
      jwks_uri: `${deps.auth.issuer}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ['RS256'],
    });
    return true;
  }
  if (method === 'GET' && path === '/local/health') {
    const ready = deps.isReady();
    sendJson(
      res,
      ready ? 200 : 503,
      { status: ready ? 'ready' : 'starting' },
      ready ? {} : { 'retry-after': '1' },
    );
    return true;
  }
  if (method === 'GET' && path === '/local/clock') {
    sendJson(res, 200, deps.clock.read());
    return true;
  }
  if (method === 'POST' && path === '/local/clock') {
    const body = await readJson();
    if (!body.ok) return true;
    const parsed = clockRequestSchema.safeParse(body.value);
    if (!parsed.success) {
      sendError(res, 400, 'VALIDATION_ERROR', 'Invalid clock change', validationDetails(parsed.error));
      return true;
    }
    const { advance, set } = parsed.data;
    const runSchedules = parsed.data.runSchedules ?? true;
    const change =
      advance !== undefined ? deps.clock.advance(advance) : deps.clock.set(new Date(set as string));
    deps.logger.info(`clock ${change.from} → ${change.to} (offset ${deps.clock.offsetMs} ms)`);
    const ran: ScheduleOutcome[] = [];
    if (runSchedules && change.byMs > 0) {
      // In AWS the timers would have fired during that time: run each schedule once, one after another.
      for (const { name, target } of deps.scheduler.definitions) {
        try {
          const run = await deps.scheduler.run(name);
          ran.push({ schedule: name, target, ok: true, result: (run.found && run.result) ?? null });
        } catch (error) {
          deps.logger.error(`schedule ${name} failed after the clock moved: ${describeError(error)}`);
          ran.push({ schedule: name, target, ok: false, error: "failed; see the local stack's log" });
        }
      }
      await deps.bus
        .drain(CLOCK_DRAIN_MS)
        .catch(() => deps.logger.warn('clock: deliveries still in flight after the schedules ran'));
    }
    sendJson(res, 200, {
      ...deps.clock.read(),
      change,
      schedulesRun: ran,
      note: clockNote(change, ran, runSchedules),
    });
    return true;
  }
  if (method === 'GET' && path === '/local/events') {
    const source = query.get('source');
    const detailType = query.get('detailType');
    const items = deps.bus.events.filter(
      (e) => (!source || e.source === source) && (!detailType || e.detailType === detailType),
    );
    sendJson(res, 200, { items, deadLetters: deps.bus.deadLetters });
    return true;
  }
  if (method === 'GET' && path === '/local/stream-dead-letters') {
    const target = query.get('function');
    const letters = (deps.streamDeadLetters?.() ?? []).filter((l) => !target || l.target === target);
    // One message per batch, its body the invocation record, as Lambda puts it in the function's DLQ.
    sendJson(res, 200, {
      Messages: letters.map((l) => ({
        MessageId: l.invocationRecord.requestContext.requestId,
        Body: JSON.stringify(l.invocationRecord),
      })),
    });
    return true;
  }
  if (method === 'POST' && path === '/local/events') {
    const body = await readJson();
    if (!body.ok) return true;
    const parsed = localEventSchema.safeParse(body.value);
    if (!parsed.success) {
      sendError(res, 400, 'VALIDATION_ERROR', 'Invalid event entry', validationDetails(parsed.error));
      return true;
    }
    const { Detail, EventBusName, ...rest } = parsed.data;
    const [result] = deps.bus.putEvents([
      {
        ...rest,
        EventBusName: EventBusName ?? deps.bus.busName,
        Detail: typeof Detail === 'string' ? Detail : JSON.stringify(Detail),
      },
    ]).Entries;
    if (!result || !('EventId' in result)) {
      sendError(res, 400, 'VALIDATION_ERROR', result?.ErrorMessage ?? 'Event refused', {
        errorCode: result?.ErrorCode,
      });
      return true;
    }
    sendJson(res, 202, { EventId: result.EventId });
    return true;
  }
  if (method === 'POST' && path === '/local/sweep') {
    await runSchedule(SWEEP_SCHEDULE);
    return true;
  }
  const schedule = /^\/local\/schedules\/([^/]+)$/.exec(path)?.[1];
  if (method === 'POST' && schedule) {
    await runSchedule(schedule);
    return true;
  }
  return false;
};
