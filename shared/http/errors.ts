import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { $ZodError } from 'zod/v4/core';
import { DomainError, type ErrorCode } from '../domain/errors.ts';
import { errorResponse } from './responses.ts';

/** The one place where refusals become HTTP statuses (SPEC section 9). */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  VALIDATION_ERROR: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  PATIENT_BLOCKED: 403,
  MESSAGING_CLOSED: 403,
  NOT_IN_PATIENT_BASE: 403,
  NOT_ALLOWED: 403,
  REPLY_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  THREAD_CLOSED: 409,
  CONFLICT: 409,
  THREAD_CHANGED: 409,
  METHOD_NOT_ALLOWED: 405,
  HEADERS_TOO_LARGE: 431,
  PAYLOAD_TOO_LARGE: 413,
  TEMPLATE_VARIABLE_MISSING: 422,
  TEMPLATE_VARIABLE_UNKNOWN: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  COOLDOWN: 429,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
};

/** Field-level details without echoing the rejected values (they may be health data). */
export const zodDetails = (error: $ZodError) =>
  error.issues.map((issue) => ({ path: issue.path.map(String), code: issue.code, message: issue.message }));

/**
 * Every VALIDATION_ERROR detail has the zodDetails shape `{path, code, message}`,
 * also when a use case raised it by hand (found by the fuzz suite: a bad cursor
 * answered details without `code`).
 */
const normalizeDetails = (code: ErrorCode, details: unknown): unknown =>
  code === 'VALIDATION_ERROR' && Array.isArray(details)
    ? details.map((detail) =>
        detail && typeof detail === 'object' ? { path: [], code: 'custom', ...(detail as object) } : detail,
      )
    : details;

/** Maps a known error to its response, or returns null for an unexpected one (a 500). */
export const toErrorResponse = (error: unknown): APIGatewayProxyStructuredResultV2 | null => {
  if (error instanceof DomainError) {
    const response = errorResponse(
      STATUS_BY_CODE[error.code],
      error.code,
      error.message,
      normalizeDetails(error.code, error.details),
    );
    // A quota's 429 says when to come back (docs/adr/0011).
    const retryAfter = (error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
    if (retryAfter) response.headers = { ...response.headers, 'retry-after': `${retryAfter}` };
    return response;
  }
  // Any zod error: the mini API's and the classic one's (local tools) are both a core $ZodError.
  if (error instanceof $ZodError) {
    return errorResponse(400, 'VALIDATION_ERROR', 'The request is not valid', zodDetails(error));
  }
  return null;
};
