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
  | 'PAYLOAD_TOO_LARGE'
  | 'TEMPLATE_VARIABLE_MISSING'
  | 'TEMPLATE_VARIABLE_UNKNOWN'
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
  constructor() {
    super('THREAD_CLOSED', 'This conversation is closed. To make a new request, start a new conversation.');
  }
}

export class ReplyNotAllowed extends DomainError {
  constructor(message = 'Your practitioner has not opened replies in this conversation.') {
    super('REPLY_NOT_ALLOWED', message);
  }
}

export class NotInPatientBase extends DomainError {
  constructor() {
    super(
      'NOT_IN_PATIENT_BASE',
      'Messaging is reserved for patients already followed by this practitioner. Book an appointment first.',
    );
  }
}

export class Conflict extends DomainError {
  constructor(message: string) {
    super('CONFLICT', message);
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
