import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { routeChangeEvent } from '../domain/audit.ts';
import type { ErrorCode } from '../domain/errors.ts';
import {
  ACCEPTED_TOKEN_USE,
  defaultStatus,
  type HttpFunctionDeclaration,
  routeKey,
} from '../function-model/declaration.ts';
import {
  type AdapterContext,
  adapterContext,
  functionDeps,
  type MailerAdapter,
} from '../runtime/function-deps.ts';
import { errorFields, logger, metrics, tracer, withInvocationLogger } from '../runtime/logger.ts';
import { recordAuditAfterCommit, withAuditContext } from '../use-cases/audit.ts';
import type { Deps } from '../use-cases/deps.ts';
import type { PatientIdentityClaims } from '../use-cases/patient-contact.ts';
import * as z from '../validation.ts';
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
  /**
   * On patient routes only: the token's `email` and whether `email_verified` is
   * true (a JSON boolean, or the string "true" as the HTTP API passes claims).
   * For recordPatientIdentity, which alone decides what is recorded.
   */
  identity?: PatientIdentityClaims;
}

/** The patient's `email` / `email_verified` claims (absent without an email claim). */
const identityOf = (claims: Record<string, unknown>): PatientIdentityClaims | undefined =>
  typeof claims.email === 'string'
    ? {
        email: claims.email,
        emailVerified: claims.email_verified === true || claims.email_verified === 'true',
      }
    : undefined;

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

/** Builds the store at cold start with the function's own client (shared/http/idempotency.ts idempotentWrites). */
export type IdempotencyAdapter = (context: AdapterContext) => IdempotencyStore;

/**
 * The implementations a declaration calls for, passed by the handler so that
 * other functions never bundle them; the wrapper checks at cold start that they
 * match the declaration (`idempotent`, `access.sendsEmail`).
 */
export interface RouteAdapters {
  idempotency?: IdempotencyAdapter;
  mailer?: MailerAdapter;
  /** Tests of the adapter only: dependencies instead of the ones built from the environment. */
  deps?: () => Deps;
}

type Handler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** A route handler also carries its declaration (tests and tools read it from the handler). */
export type RouteHandler = Handler & { declaration: HttpFunctionDeclaration };

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

const validate = <S extends z.core.$ZodType>(
  schema: S | undefined,
  value: unknown,
  where: string,
): z.infer<S> => {
  if (!schema) return undefined as z.infer<S>;
  const result = z.safeParse(schema, value);
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

/** The adapters must be exactly those the declaration calls for: a mismatch fails at cold start. */
export const checkAdapters = (
  declaration: { name: string; idempotent?: boolean; access: { sendsEmail?: boolean } },
  adapters: { idempotency?: unknown; mailer?: unknown },
): void => {
  const problems = [
    Boolean(declaration.idempotent) !== Boolean(adapters.idempotency) &&
      (declaration.idempotent
        ? 'is declared idempotent but its handler passes no idempotency adapter'
        : 'passes an idempotency adapter but is not declared idempotent'),
    Boolean(declaration.access.sendsEmail) !== Boolean(adapters.mailer) &&
      (declaration.access.sendsEmail
        ? 'is declared sendsEmail but its handler passes no mailer adapter'
        : 'passes a mailer adapter but is not declared sendsEmail'),
  ].filter((problem): problem is string => typeof problem === 'string');
  if (problems.length > 0) throw new Error(`Function ${declaration.name} ${problems.join('; ')}`);
};

/**
 * A thin HTTP handler for a declared route: checks the caller's role from the
 * verified JWT, validates params, query and body with the declaration's strict
 * zod schemas, runs one use case and maps its result or refusal. Its
 * dependencies are built here, at cold start. Nothing of the request body is
 * ever logged.
 */
export const httpRoute = <
  P extends z.core.$ZodType = z.core.$ZodUndefined,
  Q extends z.core.$ZodType = z.core.$ZodUndefined,
  B extends z.core.$ZodType = z.core.$ZodUndefined,
>(
  declaration: HttpFunctionDeclaration<P, Q, B>,
  run: (input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>, deps: Deps) => Promise<unknown>,
  adapters: RouteAdapters = {},
): RouteHandler => {
  checkAdapters(declaration, adapters);
  const built = adapters.deps
    ? undefined
    : functionDeps(declaration, { ...(adapters.mailer && { mailer: adapters.mailer }) });
  const getDeps = adapters.deps ?? (() => built as Deps);
  const idempotency = adapters.idempotency?.(adapterContext(declaration));
  const role = declaration.role;
  const successStatus = defaultStatus(declaration);
  const key = routeKey(declaration);
  const handle: Handler = async (event, context) => {
    try {
      const claims = event.requestContext.authorizer?.jwt?.claims ?? {};
      const callerId = typeof claims.sub === 'string' ? claims.sub : '';
      // Defence in depth behind the authorizer: only an ID token names the caller's role.
      if (!callerId || claims.token_use !== ACCEPTED_TOKEN_USE) {
        countRefusal('UNAUTHENTICATED');
        return errorResponse(401, 'UNAUTHENTICATED', 'A valid token is required');
      }
      if (claims['custom:role'] !== role) {
        countRefusal('FORBIDDEN');
        return errorResponse(403, 'FORBIDDEN', `This route is for ${role} accounts`);
      }
      const params = validate(declaration.params, event.pathParameters ?? {}, 'path');
      const query = validate(declaration.query, event.queryStringParameters ?? {}, 'query');
      const body = declaration.body ? validate(declaration.body, readJsonBody(event), 'body') : undefined;
      const idempotencyKey = idempotency ? readIdempotencyKey(event) : undefined;
      const requestId = event.requestContext.requestId;
      const deps = withAuditContext(getDeps(), { actor: { role, id: callerId }, requestId });
      const execute = async (): Promise<StoredResponse> => {
        const identity = role === 'patient' ? identityOf(claims) : undefined;
        const result = await run(
          { callerId, params, query, body: body as z.infer<B>, requestId, ...(identity && { identity }) },
          deps,
        );
        if (declaration.auditAs) {
          await recordAuditAfterCommit(deps, { kind: 'practitioner', practitionerId: callerId }, [
            routeChangeEvent(declaration.auditAs, { practitionerId: callerId, params, body, result }),
          ]);
        }
        const response = toResponse(result, successStatus);
        return { statusCode: response.statusCode ?? 200, body: response.body ?? '' };
      };
      if (idempotency && idempotencyKey !== undefined) {
        const { response, replayed } = await idempotency.run(
          {
            callerId,
            routeKey: key,
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
  // Never logs the event (it carries message bodies); each invocation logs with its own context and keys.
  const traced = middy((event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => {
    logger.setCorrelationId(event.requestContext.requestId);
    return handle(event, context);
  })
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics)) as unknown as Handler;
  const wrapped: Handler = (event, context) => withInvocationLogger(context, () => traced(event, context));
  return Object.assign(wrapped, {
    declaration: declaration as unknown as HttpFunctionDeclaration,
  });
};
