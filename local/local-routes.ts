/**
 * Routes that exist only in the local stack (never deployed), unauthenticated:
 *   POST /local/token                         {"sub","role"} → {"token"}
 *   GET  /local/.well-known/jwks.json         the verification keys
 *   GET  /local/.well-known/openid-configuration
 *   GET  /local/events                        published events + dead letters
 *   POST /local/events                        one PutEvents entry, as the agenda would
 *   POST /local/sweep                         run the `untreated-sweep` schedule now
 *   POST /local/schedules/{name}              run any schedule now
 *   GET  /local/health
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { type LocalAuth, tokenRequestSchema } from './auth.ts';
import type { LocalEventBus } from './event-bus.ts';
import { PayloadTooLarge, readBody, sendError, sendJson, validationDetails } from './http-util.ts';
import { describeError, type Logger } from './logger.ts';
import type { LocalScheduler } from './scheduler.ts';

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
  logger: Logger;
}

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
    sendJson(res, 200, { status: 'ok' });
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
