/**
 * The audit trail: who did what to which object, when, in which request —
 * never a message text, a name or an email address. Pure rules here; items in
 * shared/repositories/audit-repository.ts; wiring in shared/use-cases/audit.ts.
 *
 * Two subjects:
 * - a thread (`AUDIT#THREAD#<threadId>`): every change of the thread by anyone
 *   (written in the same transaction as the change), every practitioner read of
 *   its content, the patient emails about its messages. Shown to its
 *   practitioner by GET /v1/practitioner/threads/{threadId}/audit;
 * - a practitioner (`AUDIT#PRAC#<practitionerId>`): changes that belong to no
 *   thread (settings, patient records, block/allow, templates, automations), the
 *   reads of patient records, and the practitioner's notification emails. For
 *   operators (see docs/data-model.md);
 * - a patient (`AUDIT#PAT#<patientId>`): the patient's own requests about their
 *   data — an export asked for and downloaded, an erasure (SPEC 11.6).
 */
import { patientReadCount } from './thread-rules.ts';
import type { Message, Thread } from './types.ts';

export type AuditActorRole = 'practitioner' | 'patient' | 'assistant' | 'system';

/**
 * `id` is the JWT `sub` of a practitioner, assistant or patient, or the function's
 * name for `system`. An assistant always acts for a practitioner (SPEC 11.2):
 * `onBehalfOf` is that practitioner's id.
 */
export interface AuditActor {
  role: AuditActorRole;
  id: string;
  onBehalfOf?: string;
}

export const THREAD_AUDIT_ACTIONS = [
  'thread.started',
  'message.sent',
  'thread.treated',
  'thread.read',
  'message.retracted',
  'thread.archived',
  /** Triage (SPEC 11.2): the thread's assignee changed (`details.assigneeId`, or `none`). */
  'thread.assigned',
  /** A thread change this module has no specific verb for (never expected; kept so nothing goes unrecorded). */
  'thread.updated',
  /** A practitioner opened the thread with its messages (GET). */
  'thread.viewed',
  /** The patient was emailed about a practitioner message (counts and a link, never the text). */
  'patient.notified',
  /** A practitioner read this thread's audit trail (GET …/audit): reads of the trail are on the trail. */
  'audit.viewed',
  /** A download link of one of the thread's attachments was handed out (to either participant). */
  'attachment.downloaded',
] as const;

export const PRACTITIONER_AUDIT_ACTIONS = [
  'settings.updated',
  'patient.saved',
  'patient.blocked',
  'patient.unblocked',
  'patient.allowed',
  'patient.disallowed',
  'template.created',
  'template.updated',
  'template.deleted',
  'automation.created',
  'automation.deleted',
  'communication.created',
  /** One chunk of a group communication: the threads it wrote (ids), how many failed. */
  'communication.sent',
  'scheduledMessage.cancelled',
  'practitioner.notified',
  /** The patient's contact data was erased from the practitioner's record (ids only; by them or by the patient). */
  'patient.erased',
  /** A practitioner read a patient record (GET /v1/practitioner/patients/{patientId}): it holds health attributes. */
  'patient.viewed',
  /** A delegation to an assistant was granted or changed (SPEC 11.2): ids and field names only. */
  'delegate.saved',
  'delegate.removed',
] as const;

/** A patient's own requests about their data (SPEC 11.6), in the patient's trail. */
export const PATIENT_AUDIT_ACTIONS = [
  /** The patient erased their contact data everywhere (ids only: which records). */
  'patient.erased',
  /** The patient asked for an export. */
  'export.requested',
  /** A download link of an export was handed out (a read of the whole record). */
  'patient.exported',
] as const;

export type ThreadAuditAction = (typeof THREAD_AUDIT_ACTIONS)[number];
export type PractitionerAuditAction = (typeof PRACTITIONER_AUDIT_ACTIONS)[number];
export type PatientAuditAction = (typeof PATIENT_AUDIT_ACTIONS)[number];
export type AuditAction = ThreadAuditAction | PractitionerAuditAction | PatientAuditAction;

/** Ids only: the objects an action touched. */
export interface AuditObjects {
  threadId?: string;
  messageId?: string;
  practitionerId?: string;
  patientId?: string;
  appointmentId?: string;
  templateId?: string;
  automationId?: string;
  communicationId?: string;
  scheduledMessageId?: string;
  exportId?: string;
  assistantId?: string;
  attachmentId?: string;
}

/** One thing that happened, before it gets its actor, time and request. */
export interface AuditEvent {
  action: AuditAction;
  objects: AuditObjects;
  /** Small non-identifying facts (e.g. `reader`, `markTreated`); never free text. */
  details?: Record<string, string | number | boolean>;
}

export type AuditSubject =
  | { kind: 'thread'; threadId: string }
  | { kind: 'practitioner'; practitionerId: string }
  | { kind: 'patient'; patientId: string };

export interface AuditEntry extends AuditEvent {
  subject: AuditSubject;
  actor: AuditActor;
  at: string;
  requestId: string;
}

/**
 * Retention: 20 years after the event. The trail of who read and changed a
 * conversation is part of the health record it describes, and French law keeps
 * medical records 20 years (Code de la santé publique, art. R1112-7, the
 * reference the Ordre des médecins gives liberal practice too). The table's TTL
 * then deletes the items without a job. Longer than the 6–12 months the CNIL
 * suggests for technical access logs, on purpose: these are not server logs.
 */
export const AUDIT_RETENTION_YEARS = 20;

/** The TTL attribute value (epoch seconds) of an entry written at `at`. */
export const auditExpiresAt = (at: string): number => {
  const date = new Date(at);
  date.setUTCFullYear(date.getUTCFullYear() + AUDIT_RETENTION_YEARS);
  return Math.floor(date.getTime() / 1000);
};

/** What a thread write is about, as the repository sees it (see ThreadChange). */
export interface ThreadChangeFacts {
  before: Thread | null;
  after: Thread;
  message?: Pick<Message, 'id' | 'sender'>;
  /** Hints carried by extra transaction items (e.g. a retraction names its message). */
  hints?: AuditEvent[];
}

const threadObjects = (thread: Thread): AuditObjects => ({
  threadId: thread.id,
  practitionerId: thread.practitionerId,
  patientId: thread.patientId,
});

/**
 * The audit events a thread change stands for, derived from the states before
 * and after (so every writer of threads is covered without saying anything):
 * a new thread; a message; a closing; an archiving; a read by either side;
 * whatever the transaction's extra items announce (a retraction). A change that
 * matches none is still recorded, as `thread.updated`.
 */
export const threadChangeEvents = (change: ThreadChangeFacts): AuditEvent[] => {
  const { before, after, message } = change;
  const base = threadObjects(after);
  if (!before) {
    return [
      {
        action: 'thread.started',
        objects: {
          ...base,
          ...(message && { messageId: message.id }),
          ...(after.appointmentId && { appointmentId: after.appointmentId }),
        },
        details: { origin: after.origin, replyPolicy: after.replyPolicy },
      },
    ];
  }
  const events: AuditEvent[] = [];
  if (message) {
    events.push({
      action: 'message.sent',
      objects: { ...base, messageId: message.id },
      details: {
        sender: message.sender,
        ...(message.sender === 'practitioner' && { replyPolicy: after.replyPolicy }),
      },
    });
  }
  for (const hint of change.hints ?? []) events.push({ ...hint, objects: { ...base, ...hint.objects } });
  if (before.status === 'open' && after.status === 'closed') {
    events.push({ action: 'thread.treated', objects: base });
  }
  if ((before.assigneeId ?? null) !== (after.assigneeId ?? null)) {
    events.push({
      action: 'thread.assigned',
      objects: base,
      details: { assigneeId: after.assigneeId ?? 'none' },
    });
  }
  const archived = !before.archived && after.archived;
  if (archived) events.push({ action: 'thread.archived', objects: base });
  // A reply and an archiving count as reads too; they are recorded as what they are.
  if (!message && !archived && after.practitionerReadAt !== before.practitionerReadAt) {
    events.push({ action: 'thread.read', objects: base, details: { reader: 'practitioner' } });
  }
  if (patientReadCount(after) > patientReadCount(before)) {
    events.push({ action: 'thread.read', objects: base, details: { reader: 'patient' } });
  }
  if (events.length === 0) events.push({ action: 'thread.updated', objects: base });
  return events;
};

/**
 * A practitioner's change outside any thread, as an HTTP route declares it
 * (RouteSpec.audit): the path's ids, the created object's id (`template.created`
 * → `templateId`), and the NAMES of the fields the body set — never their values.
 */
export const routeChangeEvent = (
  action: PractitionerAuditAction,
  input: { practitionerId: string; params: unknown; body: unknown; result: unknown },
): AuditEvent => {
  const objects: Record<string, string> = { practitionerId: input.practitionerId };
  if (input.params && typeof input.params === 'object') {
    for (const [name, value] of Object.entries(input.params)) {
      if (typeof value === 'string') objects[name] = value;
    }
  }
  const createdId = (input.result as { id?: unknown } | null | undefined)?.id;
  if (action.endsWith('.created') && typeof createdId === 'string') {
    objects[`${action.slice(0, action.indexOf('.'))}Id`] = createdId;
  }
  const fields =
    input.body && typeof input.body === 'object' && !Array.isArray(input.body)
      ? Object.keys(input.body).sort()
      : [];
  return { action, objects, ...(fields.length > 0 && { details: { fields: fields.join(',') } }) };
};

/** The answer shape of one entry (GET …/audit): ids, verbs and times only. */
export const auditEntryView = (entry: AuditEntry) => ({
  at: entry.at,
  action: entry.action,
  actor: entry.actor,
  requestId: entry.requestId,
  objects: entry.objects,
  ...(entry.details && { details: entry.details }),
});
