/**
 * One error type per domain refusal. shared/http/errors.ts is the only place that
 * turns them into HTTP statuses; messages are safe to show to the caller.
 */
export type RefusalCode =
  | 'PATIENT_BLOCKED'
  | 'MESSAGING_CLOSED'
  | 'NOT_IN_PATIENT_BASE'
  | 'NOT_ALLOWED'
  | 'REPLY_NOT_ALLOWED'
  | 'THREAD_CLOSED'
  | 'COOLDOWN';

export type ErrorCode =
  | RefusalCode
  | 'VALIDATION_ERROR'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'THREAD_CHANGED'
  | 'METHOD_NOT_ALLOWED'
  | 'HEADERS_TOO_LARGE'
  | 'PAYLOAD_TOO_LARGE'
  | 'TEMPLATE_VARIABLE_MISSING'
  | 'TEMPLATE_VARIABLE_UNKNOWN'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'RATE_LIMITED'
  | 'QUOTA_EXCEEDED'
  | 'INTERNAL_ERROR';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = code;
  }
}

export class NotFound extends DomainError {
  constructor(what = 'Resource') {
    super('NOT_FOUND', `${what} not found`);
  }
}

export class ThreadClosed extends DomainError {
  constructor(message = 'This conversation is closed. To make a new request, start a new conversation.') {
    super('THREAD_CLOSED', message);
  }
}

export class ReplyNotAllowed extends DomainError {
  constructor(message = 'Your practitioner has not opened replies in this conversation.') {
    super('REPLY_NOT_ALLOWED', message);
  }
}

export class NotInPatientBase extends DomainError {
  constructor(
    message = 'Messaging is reserved for patients already followed by this practitioner. Book an appointment first.',
  ) {
    super('NOT_IN_PATIENT_BASE', message);
  }
}

/*
 * Practitioner controls (shared/domain/messaging-rules.ts builds them with the
 * French text to show the patient; `details` carries what a client needs).
 */

/** The practitioner blocked this patient from messaging (not from booking). */
export class PatientBlocked extends DomainError {
  constructor(message: string) {
    super('PATIENT_BLOCKED', message);
  }
}

/** The practitioner closed their messaging; the text is their absence message when they wrote one. */
export class MessagingClosed extends DomainError {
  constructor(message: string, details: { reopensAt: string | null }) {
    super('MESSAGING_CLOSED', message, details);
  }
}

/** The practitioner does not take requests from this patient (`allowed_patients` or `nobody`). */
export class NotAllowed extends DomainError {
  constructor(message: string) {
    super('NOT_ALLOWED', message);
  }
}

/** Same-day cooldown: a new request is possible from `retryAfter` (ISO-8601 UTC) on. */
export class Cooldown extends DomainError {
  constructor(message: string, details: { retryAfter: string }) {
    super('COOLDOWN', message, details);
  }
}

/**
 * A per-user limit reached (shared/domain/quotas.ts): `RATE_LIMITED` for a used-up
 * Paris-day window, `QUOTA_EXCEEDED` for a count at its limit. `details.retryAfterSeconds`
 * becomes the 429's `Retry-After` (shared/http/errors.ts); details name the quota and
 * its limit, never whose counts. A factory, not a class: it stays out of bundles that
 * never refuse a quota (ADR 0006).
 */
export const limitReached = (
  code: 'RATE_LIMITED' | 'QUOTA_EXCEEDED',
  quota: string,
  limit: number,
  retryAfterSeconds: number,
): DomainError =>
  new DomainError(code, `Limit reached (${limit}): try again later.`, { quota, limit, retryAfterSeconds });

export class Conflict extends DomainError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

/**
 * Safe treat: the thread holds patient messages the practitioner has not seen
 * (newer than their `lastSeenMessageId`, or than their last read). Nothing was
 * changed; `details.newerMessageIds` (oldest first) lets the client show them.
 */
export class ThreadChanged extends DomainError {
  constructor(readonly newerMessageIds: string[]) {
    super(
      'THREAD_CHANGED',
      'The patient wrote since you last saw this conversation: read the new messages before marking it treated.',
      { newerMessageIds },
    );
  }
}

export class Forbidden extends DomainError {
  constructor(message = 'This route is not available for your account type.') {
    super('FORBIDDEN', message);
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, details?: unknown) {
    super('VALIDATION_ERROR', message, details);
  }
}

/** A template names a variable that does not exist, or a placeholder is malformed (`{{x}`, `{{}}`). */
export class TemplateVariableUnknown extends DomainError {
  constructor(readonly variable: string) {
    super('TEMPLATE_VARIABLE_UNKNOWN', `Unknown or malformed template variable: ${variable}`, { variable });
  }
}

/** A template variable has no value for this message: refused rather than sent with a hole. */
export class TemplateVariableMissing extends DomainError {
  constructor(readonly variable: string) {
    super(
      'TEMPLATE_VARIABLE_MISSING',
      `The template uses {{${variable}}} but there is no value for it in this message${
        variable.startsWith('appointment.') ? ' (send it about an appointment that has it)' : ''
      }`,
      { variable },
    );
  }
}

/**
 * The Idempotency-Key was already used by this caller on this route with a
 * different request (path, query or body): answering the first response would
 * be wrong and running the new one would defeat the key.
 */
export class IdempotencyKeyReused extends DomainError {
  constructor() {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used with a different request; use a new key for a new request.',
    );
  }
}
