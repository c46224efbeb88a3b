import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { z } from 'zod';
import type { Role } from '../../functions/routes.ts';
import { depsFromEnv } from '../runtime/deps-from-env.ts';
import { logger, metrics, tracer } from '../runtime/logger.ts';
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

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  role: Role;
  params?: P;
  query?: Q;
  body?: B;
  /** Status of a successful answer (200 by default, 201 for creations). */
  successStatus?: number;
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
  constructor(readonly response: APIGatewayProxyStructuredResultV2) {
    super('Bad request');
  }
}

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
  const handle: Handler = async (event) => {
    try {
      const claims = event.requestContext.authorizer?.jwt?.claims ?? {};
      const callerId = typeof claims.sub === 'string' ? claims.sub : '';
      if (!callerId) return errorResponse(401, 'UNAUTHENTICATED', 'A valid token is required');
      if (claims['custom:role'] !== spec.role) {
        return errorResponse(403, 'FORBIDDEN', `This route is for ${spec.role} accounts`);
      }
      const params = validate(spec.params, event.pathParameters ?? {}, 'path');
      const query = validate(spec.query, event.queryStringParameters ?? {}, 'query');
      const body = spec.body ? validate(spec.body, readJsonBody(event), 'body') : undefined;
      const result = await run(
        { callerId, params, query, body: body as z.infer<B>, requestId: event.requestContext.requestId },
        getDeps(),
      );
      return toResponse(result, spec.successStatus ?? 200);
    } catch (error) {
      if (error instanceof BadRequest) return error.response;
      const mapped = toErrorResponse(error);
      if (mapped) {
        metrics.addMetric(`Refused_${(error as { code?: string }).code ?? 'VALIDATION_ERROR'}`, 'Count', 1);
        return mapped;
      }
      logger.error('Unhandled error', { errorName: (error as Error)?.name, stack: (error as Error)?.stack });
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

export { z };
