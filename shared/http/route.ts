import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { routeChangeEvent } from '../domain/audit.ts';
import { type ErrorCode, Forbidden } from '../domain/errors.ts';
import {
  ACCEPTED_TOKEN_USE,
  defaultStatus,
  type HttpFunctionDeclaration,
  type ResponseSchemas,
  routeKey,
} from '../function-model/declaration.ts';
import {
  type AdapterContext,
  adapterContext,
  functionDeps,
  type MailerAdapter,
  type RepositoriesAdapter,
} from '../runtime/function-deps.ts';
import { errorFields, logger, metrics, tracer, withInvocationLogger } from '../runtime/logger.ts';
import { recordAuditAfterCommit, withAuditContext } from '../use-cases/audit.ts';
import type { Deps } from '../use-cases/deps.ts';
import type { PatientIdentityClaims } from '../use-cases/patient-contact.ts';
import * as z from '../validation.ts';
import { toErrorResponse, zodDetails } from './errors.ts';
import type { ResponseBody, ResponseName } from './response-schemas.ts';
import { errorResponse, json } from './responses.ts';

/** Far above a 5,000-character message; anything bigger is refused before parsing. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export interface RouteInput<P, Q, B> {
  /**
   * The authenticated caller's id (the JWT `sub`) — or, when an assistant calls a
   * practitioner route under a grant, the practitioner's (`On-Behalf-Of`): the use
   * cases run as the practitioner, whose resources alone they find.
   */
  callerId: string;
  /** The assistant acting for `callerId` (SPEC 11.2), when one is; absent when the caller acts for themselves. */
  assistant?: ActingAssistant;
  params: P;
  query: Q;
  body: B;
  requestId: string;
  /**
   * On patient and assistant tokens only: the token's `email` and whether `email_verified` is
   * true (a JSON boolean, or the string "true" as the HTTP API passes claims).
   * For recordPatientIdentity, which alone decides what is recorded.
   */
  identity?: PatientIdentityClaims;
}

/** An assistant acting under a grant: their id and how the practice names them. */
export interface ActingAssistant {
  id: string;
  displayName: string;
}

/** The header an assistant names the practitioner with (SPEC 11.2). */
export const ON_BEHALF_OF_HEADER = 'on-behalf-of';
const ON_BEHALF_OF_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

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
  /** The optional repositories its declaration's items call for (shared/runtime/optional-repositories.ts). */
  repositories?: RepositoriesAdapter;
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

/** A body answered with a chosen status (see `withStatus`). */
export interface WithStatus<S extends number, B> {
  readonly [STATUS]: S;
  readonly body: B;
}

/**
 * Lets a use case's caller choose the status (e.g. 201 when a PUT created the
 * resource). The handler's return type (`RouteResult`) only accepts a status its
 * declaration lists, with that status's body.
 */
export const withStatus = <S extends number, B>(status: S, body: B): WithStatus<S, B> => ({
  [STATUS]: status,
  body,
});

/** The body a declared response has: its schema's output, or nothing (null: e.g. 204). */
type BodyOf<N> = N extends ResponseName
  ? ResponseBody<N>
  : N extends z.core.$ZodType
    ? z.output<N>
    : undefined;

/** The lowest declared status (the answer when the handler returns a bare body): defaultStatus at the type level. */
type DefaultStatusOf<R> = 200 extends keyof R
  ? 200
  : 201 extends keyof R
    ? 201
    : 202 extends keyof R
      ? 202
      : 204 extends keyof R
        ? 204
        : never;

/**
 * What a handler may return for a route declaring `R`: the default status's body
 * as is, or `withStatus(s, body)` for any declared status `s` with its body.
 */
export type RouteResult<R extends ResponseSchemas> =
  | BodyOf<R[DefaultStatusOf<R> & keyof R]>
  | { [S in keyof R & number]: WithStatus<S, BodyOf<R[S]>> }[keyof R & number];

const toResponse = (result: unknown, defaultStatus: number) => {
  if (result && typeof result === 'object' && STATUS in result) {
    const chosen = result as WithStatus<number, unknown>;
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

/**
 * An assistant's call of a practitioner route: the practitioner they name and
 * the grant that lets them, or a refusal (403 without a grant covering the
 * route's scope — revoked, narrowed or never given — whoever the practitioner).
 * One consistent GetItem: a revocation holds from the next request.
 */
const delegatedCall = async (
  declaration: Pick<HttpFunctionDeclaration, 'scope' | 'role'>,
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  assistantId: string,
  deps: Deps,
): Promise<{ practitionerId: string; assistant: ActingAssistant }> => {
  const scope = declaration.scope;
  if (!scope) throw new Forbidden(`This route is for ${declaration.role} accounts`);
  const practitionerId = event.headers?.[ON_BEHALF_OF_HEADER];
  // Naming no practitioner is holding no grant; naming one malformed is the client's bug.
  if (practitionerId === undefined) throw new Forbidden('An assistant names a practitioner in On-Behalf-Of');
  if (!ON_BEHALF_OF_PATTERN.test(practitionerId)) {
    throw new BadRequest(
      errorResponse(
        400,
        'VALIDATION_ERROR',
        'An assistant names the practitioner in the On-Behalf-Of header',
        [{ path: ['headers', ON_BEHALF_OF_HEADER], code: 'invalid_format', message: 'A practitioner id' }],
      ),
    );
  }
  const grant = await deps.delegates.grantOf(practitionerId, assistantId);
  if (!grant?.scopes.includes(scope)) {
    throw new Forbidden(`No delegation of the ${scope} scope from this practitioner`);
  }
  return { practitionerId, assistant: { id: assistantId, displayName: grant.displayName } };
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
  R extends ResponseSchemas = ResponseSchemas,
>(
  declaration: HttpFunctionDeclaration<P, Q, B, R>,
  run: (input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>, deps: Deps) => Promise<RouteResult<R>>,
  adapters: RouteAdapters = {},
): RouteHandler => {
  checkAdapters(declaration, adapters);
  if (declaration.scope && !declaration.access.table?.read?.includes('delegateGrant')) {
    throw new Error(
      `Function ${declaration.name} has a scope: it reads the grants (access.table.read delegateGrant)`,
    );
  }
  const built = adapters.deps
    ? undefined
    : functionDeps(declaration, {
        ...(adapters.mailer && { mailer: adapters.mailer }),
        ...(adapters.repositories && { repositories: adapters.repositories }),
      });
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
      const tokenRole = claims['custom:role'];
      if (tokenRole !== role && !(role === 'practitioner' && tokenRole === 'assistant')) {
        countRefusal('FORBIDDEN');
        return errorResponse(403, 'FORBIDDEN', `This route is for ${role} accounts`);
      }
      // An assistant runs the route as the practitioner who delegated to them (SPEC 11.2).
      const delegated =
        tokenRole === role ? undefined : await delegatedCall(declaration, event, callerId, getDeps());
      const actingId = delegated?.practitionerId ?? callerId;
      const assistant = delegated?.assistant;
      const params = validate(declaration.params, event.pathParameters ?? {}, 'path');
      const query = validate(declaration.query, event.queryStringParameters ?? {}, 'query');
      const body = declaration.body ? validate(declaration.body, readJsonBody(event), 'body') : undefined;
      const idempotencyKey = idempotency ? readIdempotencyKey(event) : undefined;
      const requestId = event.requestContext.requestId;
      const deps = withAuditContext(getDeps(), {
        actor: assistant
          ? { role: 'assistant', id: assistant.id, onBehalfOf: actingId }
          : { role, id: callerId },
        requestId,
        ...(assistant && { author: { role: 'assistant', ...assistant } }),
      });
      const execute = async (): Promise<StoredResponse> => {
        // Patients' and assistants' own routes: their verified address (ADR 0010, ADR 0015).
        const identity = role === 'patient' || role === 'assistant' ? identityOf(claims) : undefined;
        const result = await run(
          {
            callerId: actingId,
            ...(assistant && { assistant }),
            params,
            query,
            body: body as z.infer<B>,
            requestId,
            ...(identity && { identity }),
          },
          deps,
        );
        if (declaration.auditAs) {
          await recordAuditAfterCommit(deps, { kind: 'practitioner', practitionerId: actingId }, [
            routeChangeEvent(declaration.auditAs, { practitionerId: actingId, params, body, result }),
          ]);
        }
        const response = toResponse(result, successStatus);
        return { statusCode: response.statusCode ?? 200, body: response.body ?? '' };
      };
      if (idempotency && idempotencyKey !== undefined) {
        const { response, replayed } = await idempotency.run(
          {
            // An assistant's key is theirs, for this practitioner: never replayed to the practitioner or elsewhere.
            callerId: assistant ? `${assistant.id}@${actingId}` : callerId,
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
