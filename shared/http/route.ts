import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type * as z from 'zod';
import type { Role } from '../../functions/routes.ts';
import { type PractitionerAuditAction, routeChangeEvent } from '../domain/audit.ts';
import type { ErrorCode } from '../domain/errors.ts';
import { depsFromEnv } from '../runtime/deps-from-env.ts';
import { errorFields, logger, metrics, tracer } from '../runtime/logger.ts';
import { recordAuditAfterCommit, withAuditContext } from '../use-cases/audit.ts';
import type { Deps } from '../use-cases/deps.ts';
import { toErrorResponse, zodDetails } from './errors.ts';
import { errorResponse, json } from './responses.ts';

/** Far above a 5,000-character message; anything bigger is refused before parsing. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export interface RouteInput<P, Q, B> {
  /** The authenticated caller's id (the JWT `sub`). */
  callerId: string;
  params: P;
  query: Q;
  body: B;
  requestId: string;
}

/** The header a client sets to make a creating POST safe to retry. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** 1 to 128 visible ASCII characters (a UUID, a ULID…). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** One request as idempotency sees it: who, which route, which key, what exactly was asked. */
export interface IdempotentRequest {
  callerId: string;
  /** API Gateway route key, e.g. "POST /v1/practitioner/threads". */
  routeKey: string;
  key: string;
  /** The validated path, query and body: a retry must ask the very same thing. */
  payload: { params: unknown; query: unknown; body: unknown };
  context: Context;
}

/** The first answer, as stored and replayed. */
export interface StoredResponse {
  statusCode: number;
  body: string;
}

/** Implemented with Powertools Idempotency in shared/http/idempotency.ts (only the routes that use it bundle it). */
export interface IdempotencyStore {
  run(
    request: IdempotentRequest,
    execute: () => Promise<StoredResponse>,
  ): Promise<{ response: StoredResponse; replayed: boolean }>;
}

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  role: Role;
  params?: P;
  query?: Q;
  body?: B;
  /** Status of a successful answer (200 by default, 201 for creations). */
  successStatus?: number;
  /**
   * EVERY POST THAT CREATES SOMETHING SETS THIS (threads and messages of both roles,
   * the appointment window, templates, automations, group communications…):
   *
   *   import { idempotentWrites } from '../../shared/http/idempotency.ts';
   *   httpRoute({ role, body, successStatus: 201, idempotency: idempotentWrites }, …)
   *
   * and its ROUTES entry (functions/routes.ts) gets `access: { …, idempotency: true }`
   * (the IAM grant on the idempotency table; test/unit/idempotency-routes.test.ts
   * checks both agree). A request with an `Idempotency-Key` header is then run at
   * most once per (caller, route, key): a retry with the same request answers the
   * first response (`idempotent-replayed: true`) and writes nothing; the same key
   * with a different request is a 422 IDEMPOTENCY_KEY_REUSED; a retry arriving while
   * the first still runs waits for its answer. Without the header nothing changes.
   * An object rather than a flag so that routes without it never bundle Powertools
   * Idempotency. See README "Idempotent writes".
   */
  idempotency?: IdempotencyStore;
  /**
   * A practitioner's change outside any thread (settings, patient records,
   * templates, automations): recorded in the practitioner's audit trail after
   * success, with the path ids, the created id and the names of the body fields.
   * Thread changes need nothing here: they are audited in their own transaction
   * (shared/use-cases/audit.ts).
   */
  audit?: PractitionerAuditAction;
}

type Handler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** A route handler also carries the schemas it validates with, so the OpenAPI document is built from them. */
export type RouteHandler = Handler & { spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType> };

const STATUS = Symbol('status');

/** Lets a use case's caller choose the status (e.g. 201 when a PUT created the resource). */
export const withStatus = (status: number, body: unknown) => ({ [STATUS]: status, body });

type WithStatus = ReturnType<typeof withStatus>;

const toResponse = (result: unknown, defaultStatus: number) => {
  if (result && typeof result === 'object' && STATUS in result) {
    const chosen = result as WithStatus;
    return json(chosen[STATUS], chosen.body);
  }
  return json(defaultStatus, result);
};

class BadRequest extends Error {
  readonly code: ErrorCode;
  constructor(readonly response: APIGatewayProxyStructuredResultV2) {
    super('Bad request');
    this.code = response.statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_ERROR';
  }
}

/** Refusals by code: one metric `Refused` with a `code` dimension (the dashboard splits it). */
const countRefusal = (code: string) => {
  const refusal = metrics.singleMetric();
  refusal.addDimension('code', code);
  refusal.addMetric('Refused', 'Count', 1);
};

const validate = <S extends z.ZodType>(schema: S | undefined, value: unknown, where: string): z.infer<S> => {
  if (!schema) return undefined as z.infer<S>;
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new BadRequest(
      errorResponse(400, 'VALIDATION_ERROR', `The request ${where} is not valid`, zodDetails(result.error)),
    );
  }
  return result.data;
};

/** The Idempotency-Key header, checked; undefined when absent. */
const readIdempotencyKey = (event: APIGatewayProxyEventV2WithJWTAuthorizer): string | undefined => {
  const value = event.headers?.[IDEMPOTENCY_KEY_HEADER];
  if (value === undefined) return undefined;
  if (!IDEMPOTENCY_KEY_PATTERN.test(value)) {
    throw new BadRequest(
      errorResponse(400, 'VALIDATION_ERROR', 'The Idempotency-Key header is not valid', [
        {
          path: ['headers', IDEMPOTENCY_KEY_HEADER],
          code: 'invalid_format',
          message: 'Must be 1 to 128 visible ASCII characters (e.g. a UUID)',
        },
      ]),
    );
  }
  return value;
};

const fromStored = (stored: StoredResponse, replayed: boolean): APIGatewayProxyStructuredResultV2 => {
  const response = json(stored.statusCode, undefined);
  return {
    ...response,
    headers: { ...response.headers, ...(replayed && { 'idempotent-replayed': 'true' }) },
    body: stored.body,
  };
};

const readJsonBody = (event: APIGatewayProxyEventV2WithJWTAuthorizer): unknown => {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > MAX_REQUEST_BYTES) {
    throw new BadRequest(
      errorResponse(413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${MAX_REQUEST_BYTES} bytes`),
    );
  }
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BadRequest(errorResponse(400, 'VALIDATION_ERROR', 'The request body is not valid JSON'));
  }
  const badText = invalidUnicodePath(parsed);
  if (badText) {
    throw new BadRequest(
      errorResponse(400, 'VALIDATION_ERROR', 'The request body is not valid', [
        { path: badText, code: 'invalid_unicode', message: 'Must be valid Unicode text (no lone surrogate)' },
      ]),
    );
  }
  return parsed;
};

/** In unicode mode a surrogate pair is one code point, so this matches unpaired surrogates only. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * The path of the first string (or key) that is not valid Unicode, or null. JSON
 * escapes such as "\ud800" can carry lone surrogates that no UTF-8 store, email or
 * client can represent (found by the fuzz suite: they were stored as is).
 */
const invalidUnicodePath = (value: unknown, path: string[] = []): string[] | null => {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path : null;
  if (value === null || typeof value !== 'object') return null;
  for (const [key, child] of Object.entries(value)) {
    if (LONE_SURROGATE.test(key)) return [...path, '(key)'];
    const found = invalidUnicodePath(child, [...path, key]);
    if (found) return found;
  }
  return null;
};

/**
 * A thin HTTP handler: checks the caller's role from the verified JWT, validates
 * params, query and body with strict zod schemas, runs one use case and maps its
 * result or refusal. Nothing of the request body is ever logged.
 */
export const httpRoute = <
  P extends z.ZodType = z.ZodUndefined,
  Q extends z.ZodType = z.ZodUndefined,
  B extends z.ZodType = z.ZodUndefined,
>(
  spec: RouteSpec<P, Q, B>,
  run: (input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>, deps: Deps) => Promise<unknown>,
  getDeps: () => Deps = depsFromEnv,
): RouteHandler => {
  const handle: Handler = async (event, context) => {
    try {
      const claims = event.requestContext.authorizer?.jwt?.claims ?? {};
      const callerId = typeof claims.sub === 'string' ? claims.sub : '';
      if (!callerId) {
        countRefusal('UNAUTHENTICATED');
        return errorResponse(401, 'UNAUTHENTICATED', 'A valid token is required');
      }
      if (claims['custom:role'] !== spec.role) {
        countRefusal('FORBIDDEN');
        return errorResponse(403, 'FORBIDDEN', `This route is for ${spec.role} accounts`);
      }
      const params = validate(spec.params, event.pathParameters ?? {}, 'path');
      const query = validate(spec.query, event.queryStringParameters ?? {}, 'query');
      const body = spec.body ? validate(spec.body, readJsonBody(event), 'body') : undefined;
      const idempotencyKey = spec.idempotency ? readIdempotencyKey(event) : undefined;
      const requestId = event.requestContext.requestId;
      const deps = withAuditContext(getDeps(), { actor: { role: spec.role, id: callerId }, requestId });
      const execute = async (): Promise<StoredResponse> => {
        const result = await run({ callerId, params, query, body: body as z.infer<B>, requestId }, deps);
        if (spec.audit) {
          await recordAuditAfterCommit(deps, { kind: 'practitioner', practitionerId: callerId }, [
            routeChangeEvent(spec.audit, { practitionerId: callerId, params, body, result }),
          ]);
        }
        const response = toResponse(result, spec.successStatus ?? 200);
        return { statusCode: response.statusCode ?? 200, body: response.body ?? '' };
      };
      if (spec.idempotency && idempotencyKey !== undefined) {
        const { response, replayed } = await spec.idempotency.run(
          {
            callerId,
            routeKey: event.routeKey,
            key: idempotencyKey,
            payload: { params: params ?? null, query: query ?? null, body: body ?? null },
            context,
          },
          execute,
        );
        if (replayed) metrics.addMetric('IdempotentReplay', 'Count', 1);
        return fromStored(response, replayed);
      }
      return fromStored(await execute(), false);
    } catch (error) {
      if (error instanceof BadRequest) {
        countRefusal(error.code);
        return error.response;
      }
      const mapped = toErrorResponse(error);
      if (mapped) {
        countRefusal((error as { code?: string }).code ?? 'VALIDATION_ERROR');
        return mapped;
      }
      logger.error('Unhandled error', errorFields(error));
      return errorResponse(500, 'INTERNAL_ERROR', 'Something went wrong on our side');
    }
  };
  const wrapped = middy(handle)
    .use(
      injectLambdaContext(logger, {
        resetKeys: true,
        // Never log the event: it carries message bodies, whatever POWERTOOLS_LOGGER_LOG_EVENT says.
        logEvent: false,
        correlationIdPath: 'requestContext.requestId',
      }),
    )
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics));
  return Object.assign(wrapped as unknown as Handler, {
    spec: spec as RouteSpec<z.ZodType, z.ZodType, z.ZodType>,
  });
};
