/**
 * The HTTP routes: one Lambda each. The CDK stack and the local server both read
 * this table, so the deployed API and `npm start` expose exactly the same surface.
 * Each function's handler lives in functions/<name>/handler.ts.
 */
export type Role = 'practitioner' | 'patient';

/** What a function may do, turned into least-privilege grants by the stack. */
export interface RouteAccess {
  table: 'read' | 'readWrite';
  publishEvents: boolean;
  /**
   * Read/write on the idempotency table: set on every route whose handler sets
   * `idempotency` (RouteSpec, shared/http/route.ts) — every POST that creates
   * something. test/unit/idempotency-routes.test.ts checks the two agree.
   */
  idempotency?: boolean;
}

export interface RouteDefinition {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  role: Role;
  access: RouteAccess;
}

const READ: RouteAccess = { table: 'read', publishEvents: false };
const WRITE: RouteAccess = { table: 'readWrite', publishEvents: true };
const WRITE_QUIET: RouteAccess = { table: 'readWrite', publishEvents: false };
/** Creations: safe to retry with an Idempotency-Key. */
const CREATE: RouteAccess = { ...WRITE, idempotency: true };
const CREATE_QUIET: RouteAccess = { ...WRITE_QUIET, idempotency: true };

const P = '/v1/practitioner';
const PT = '/v1/patient';

export const ROUTES: readonly RouteDefinition[] = [
  {
    name: 'practitioner-get-settings',
    method: 'GET',
    path: `${P}/settings`,
    role: 'practitioner',
    access: READ,
  },
  {
    name: 'practitioner-update-settings',
    method: 'PATCH',
    path: `${P}/settings`,
    role: 'practitioner',
    access: WRITE,
  },
  {
    name: 'practitioner-put-patient',
    method: 'PUT',
    path: `${P}/patients/{patientId}`,
    role: 'practitioner',
    access: WRITE_QUIET,
  },
  {
    name: 'practitioner-get-patient',
    method: 'GET',
    path: `${P}/patients/{patientId}`,
    role: 'practitioner',
    access: READ,
  },
  {
    name: 'practitioner-start-thread',
    method: 'POST',
    path: `${P}/threads`,
    role: 'practitioner',
    access: CREATE,
  },
  {
    name: 'practitioner-list-threads',
    method: 'GET',
    path: `${P}/threads`,
    role: 'practitioner',
    access: READ,
  },
  {
    name: 'practitioner-get-thread',
    method: 'GET',
    path: `${P}/threads/{threadId}`,
    role: 'practitioner',
    access: READ,
  },
  // The thread's audit trail (shared/use-cases/audit.ts): to its practitioner only.
  {
    name: 'practitioner-thread-audit',
    method: 'GET',
    path: `${P}/threads/{threadId}/audit`,
    role: 'practitioner',
    access: READ,
  },
  {
    name: 'practitioner-reply',
    method: 'POST',
    path: `${P}/threads/{threadId}/messages`,
    role: 'practitioner',
    access: CREATE,
  },
  {
    name: 'practitioner-treat-thread',
    method: 'POST',
    path: `${P}/threads/{threadId}/treat`,
    role: 'practitioner',
    access: WRITE,
  },
  {
    name: 'practitioner-read-thread',
    method: 'POST',
    path: `${P}/threads/{threadId}/read`,
    role: 'practitioner',
    access: WRITE,
  },
  // Practitioner controls (shared/use-cases/practitioner-controls.ts).
  {
    name: 'practitioner-block-patient',
    method: 'PUT',
    path: `${P}/patients/{patientId}/block`,
    role: 'practitioner',
    access: WRITE,
  },
  {
    name: 'practitioner-unblock-patient',
    method: 'DELETE',
    path: `${P}/patients/{patientId}/block`,
    role: 'practitioner',
    access: WRITE,
  },
  {
    name: 'practitioner-allow-patient',
    method: 'PUT',
    path: `${P}/patients/{patientId}/allow`,
    role: 'practitioner',
    access: WRITE,
  },
  {
    name: 'practitioner-disallow-patient',
    method: 'DELETE',
    path: `${P}/patients/{patientId}/allow`,
    role: 'practitioner',
    access: WRITE,
  },
  {
    name: 'practitioner-retract-message',
    method: 'DELETE',
    path: `${P}/threads/{threadId}/messages/{messageId}`,
    role: 'practitioner',
    access: WRITE,
  },
  {
    name: 'practitioner-archive-thread',
    method: 'DELETE',
    path: `${P}/threads/{threadId}`,
    role: 'practitioner',
    access: WRITE,
  },
  {
    name: 'patient-messaging-access',
    method: 'GET',
    path: `${PT}/practitioners/{practitionerId}/messaging`,
    role: 'patient',
    access: READ,
  },
  { name: 'practitioner-summary', method: 'GET', path: `${P}/summary`, role: 'practitioner', access: READ },
  // Templates, the appointment window and automations (shared/use-cases/templates.ts, appointments.ts, automations.ts).
  {
    name: 'practitioner-list-templates',
    method: 'GET',
    path: `${P}/templates`,
    role: 'practitioner',
    access: READ,
  },
  {
    name: 'practitioner-create-template',
    method: 'POST',
    path: `${P}/templates`,
    role: 'practitioner',
    access: CREATE_QUIET,
  },
  {
    name: 'practitioner-get-template',
    method: 'GET',
    path: `${P}/templates/{templateId}`,
    role: 'practitioner',
    access: READ,
  },
  {
    name: 'practitioner-replace-template',
    method: 'PUT',
    path: `${P}/templates/{templateId}`,
    role: 'practitioner',
    access: WRITE_QUIET,
  },
  {
    name: 'practitioner-delete-template',
    method: 'DELETE',
    path: `${P}/templates/{templateId}`,
    role: 'practitioner',
    access: WRITE_QUIET,
  },
  {
    name: 'practitioner-preview-template',
    method: 'POST',
    path: `${P}/templates/{templateId}/preview`,
    role: 'practitioner',
    access: READ,
  },
  {
    name: 'practitioner-appointment-message',
    method: 'POST',
    path: `${P}/appointments/{appointmentId}/messages`,
    role: 'practitioner',
    access: CREATE,
  },
  {
    name: 'practitioner-list-automations',
    method: 'GET',
    path: `${P}/automations`,
    role: 'practitioner',
    access: READ,
  },
  {
    name: 'practitioner-create-automation',
    method: 'POST',
    path: `${P}/automations`,
    role: 'practitioner',
    access: CREATE_QUIET,
  },
  {
    name: 'practitioner-delete-automation',
    method: 'DELETE',
    path: `${P}/automations/{automationId}`,
    role: 'practitioner',
    access: WRITE_QUIET,
  },
  // Group communications and deferred sending (shared/use-cases/communications.ts, scheduled-messages.ts);
  // `sendAt` on the thread, reply and appointment-window routes above schedules instead of sending.
  {
    name: 'practitioner-create-communication',
    method: 'POST',
    path: `${P}/communications`,
    role: 'practitioner',
    access: CREATE,
  },
  {
    name: 'practitioner-list-communications',
    method: 'GET',
    path: `${P}/communications`,
    role: 'practitioner',
    access: READ,
  },
  {
    name: 'practitioner-get-communication',
    method: 'GET',
    path: `${P}/communications/{communicationId}`,
    role: 'practitioner',
    access: READ,
  },
  {
    name: 'practitioner-list-scheduled-messages',
    method: 'GET',
    path: `${P}/scheduled-messages`,
    role: 'practitioner',
    access: READ,
  },
  {
    name: 'practitioner-cancel-scheduled-message',
    method: 'DELETE',
    path: `${P}/scheduled-messages/{scheduledMessageId}`,
    role: 'practitioner',
    access: WRITE,
  },
  { name: 'patient-start-thread', method: 'POST', path: `${PT}/threads`, role: 'patient', access: CREATE },
  { name: 'patient-list-threads', method: 'GET', path: `${PT}/threads`, role: 'patient', access: READ },
  {
    name: 'patient-get-thread',
    method: 'GET',
    path: `${PT}/threads/{threadId}`,
    role: 'patient',
    access: READ,
  },
  {
    name: 'patient-write',
    method: 'POST',
    path: `${PT}/threads/{threadId}/messages`,
    role: 'patient',
    access: CREATE,
  },
  {
    name: 'patient-read-thread',
    method: 'POST',
    path: `${PT}/threads/{threadId}/read`,
    role: 'patient',
    access: WRITE,
  },
  { name: 'patient-summary', method: 'GET', path: `${PT}/summary`, role: 'patient', access: READ },
];

/** API Gateway route key, e.g. "POST /v1/patient/threads". */
export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): string =>
  `${route.method} ${route.path}`;
