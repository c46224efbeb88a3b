/**
 * What the routes answer: one zod schema per view the use cases build
 * (shared/domain/views.ts, templateView, automationView, communicationView,
 * scheduledMessageView, auditEntryView, the patient record and settings…), and
 * the response bodies made of them, by name (`responseSchemas`).
 *
 * Never bundled into a Lambda at run time: function declarations name a
 * response (shared/http/response-schemas.ts) and only the *types* of these
 * schemas reach the handlers, where `httpRoute` checks each handler's return
 * value against the statuses it declares (shared/http/route.ts). The OpenAPI
 * generator (scripts/openapi-document.ts) turns them into
 * `components.schemas` (each registered with its `id`), and the tests parse
 * each example below, and answers, with them.
 *
 * Strict objects where the view builds every key; `z.optional` only where the
 * view leaves a key out (a retracted message has no `body`…), `z.nullable`
 * where it answers null.
 */

import { ATTACHMENT_CONTENT_TYPES } from '../domain/attachments.ts';
import { PATIENT_AUDIT_ACTIONS, PRACTITIONER_AUDIT_ACTIONS, THREAD_AUDIT_ACTIONS } from '../domain/audit.ts';
import { COMMUNICATION_STATUSES } from '../domain/communications.ts';
import { NOTIFICATION_MODES } from '../domain/notifications.ts';
import { SCHEDULED_MESSAGE_STATUSES } from '../domain/scheduled-messages.ts';
import { WHO_CAN_START_REQUESTS } from '../domain/settings.ts';
import { TEMPLATE_VARIABLES } from '../domain/templates.ts';
import { PATIENT_ATTRIBUTES, REPLY_POLICIES } from '../domain/types.ts';
import { DELEGATION_SCOPES } from '../function-model/declaration.ts';
import * as z from '../validation.ts';

/** Names the schemas of the OpenAPI document's `components.schemas`. */
export const viewRegistry = z.registry<{ id?: string; description: string }>();

const named = <S extends z.core.$ZodType>(schema: S, id: string, description: string): S => {
  viewRegistry.add(schema, { id, description });
  return schema;
};

/** A field's description in the document (no name of its own). */
const described = <S extends z.core.$ZodType>(schema: S, description: string): S => {
  viewRegistry.add(schema, { description });
  return schema;
};

const id = z.string();
/** An ISO-8601 UTC time (`Date#toISOString`; inputs with an offset are normalised to it). */
const time = named(
  z.iso.datetime(),
  'Timestamp',
  'An ISO-8601 time in UTC, with milliseconds (e.g. `2024-05-14T12:30:00.000Z`).',
);
const nullableString = z.nullable(z.string());
const replyPolicy = z.enum(REPLY_POLICIES);
const refusalCode = z.enum([
  'PATIENT_BLOCKED',
  'MESSAGING_CLOSED',
  'NOT_IN_PATIENT_BASE',
  'NOT_ALLOWED',
  'REPLY_NOT_ALLOWED',
  'THREAD_CLOSED',
  'COOLDOWN',
]);
const nextCursor = described(
  z.nullable(z.string()),
  'Opaque: pass it as `cursor` to get the next page; null on the last page.',
);
const patientAttribute = z.enum(PATIENT_ATTRIBUTES);

// --- Threads (shared/domain/views.ts) ----------------------------------------------------------

const commonThreadFields = {
  id,
  practitionerId: id,
  patientId: id,
  origin: z.enum(['patient', 'practitioner']),
  status: z.enum(['open', 'closed']),
  replyPolicy,
  appointmentId: z.nullable(id),
  createdAt: time,
  lastMessageAt: time,
  treatedAt: z.nullable(time),
};

export const practitionerThreadSchema = named(
  z.strictObject({
    ...commonThreadFields,
    archived: z.boolean(),
    untreatedCount: z.number().check(z.int(), z.gte(0)),
    unread: z.boolean(),
    unreadCount: z.number().check(z.int(), z.gte(0)),
    /** Triage (SPEC 11.2): present when assigned, on a thread's own answers and the `assignee` inbox. */
    assigneeId: z.optional(id),
  }),
  'PractitionerThread',
  'A thread as its practitioner sees it (practitionerThreadView), also a list item.',
);

export const patientThreadSchema = named(
  z.strictObject({
    ...commonThreadFields,
    unread: z.boolean(),
    unreadCount: z.number().check(z.int(), z.gte(0)),
    canReply: z.boolean(),
    replyBlockedReason: z.nullable(refusalCode),
    replyBlockedMessage: nullableString,
  }),
  'PatientThread',
  'A thread as its patient sees it (patientThreadView): never whether the practitioner read anything.',
);

// --- Messages ----------------------------------------------------------------------------------

/** Who in the practice wrote a practitioner message, when it was not the practitioner (SPEC 11.2). */
const author = named(
  z.strictObject({ role: z.literal('assistant'), id, displayName: z.string() }),
  'MessageAuthor',
  'The assistant who wrote this message of the practice (`sender: practitioner`), on behalf of the practitioner; ' +
    'absent on the messages the practitioner wrote themselves.',
);

const messageHeader = {
  id,
  threadId: id,
  sender: z.enum(['practitioner', 'patient']),
  sentAt: time,
  author: z.optional(author),
};

export const attachmentRefSchema = named(
  z.strictObject({
    id,
    fileName: z.string(),
    contentType: z.enum(ATTACHMENT_CONTENT_TYPES),
    size: z.number().check(z.int(), z.gte(1)),
  }),
  'AttachmentRef',
  'A file a message carries (SPEC 11.3): download it with `GET .../threads/{threadId}/attachments/{id}`.',
);

/**
 * A message as sent (`retracted: false`, with its body and attachments) or its tombstone
 * (`retracted: true`, no body and no attachments, ever).
 */
const messageVariants = <T extends z.core.$ZodLooseShape>(extra: T) =>
  z.union([
    z.strictObject({
      ...messageHeader,
      ...extra,
      body: z.string(),
      retracted: z.literal(false),
      attachments: z.array(attachmentRefSchema),
    }),
    z.strictObject({ ...messageHeader, ...extra, retracted: z.literal(true), retractedAt: z.nullable(time) }),
  ]);

export const practitionerMessageSchema = named(
  messageVariants({
    /** Only on the practitioner's own messages: the reply policy it granted, and when the patient read it. */
    replyPolicy: z.optional(z.nullable(replyPolicy)),
    readByPatientAt: z.optional(z.nullable(time)),
  }),
  'PractitionerMessage',
  'A message as the practitioner sees it: its body, or a tombstone once retracted (`retracted: true`, no body); ' +
    '`replyPolicy` and `readByPatientAt` (null until the patient read it) on their own messages only.',
);

export const patientMessageSchema = named(
  messageVariants({}),
  'PatientMessage',
  'A message as the patient sees it: its body, or a tombstone once retracted (`retracted: true`, no body); no read receipts.',
);

// --- Practitioner settings, patient records ----------------------------------------------------

export const settingsSchema = named(
  z.strictObject({
    displayName: nullableString,
    email: nullableString,
    timezone: z.string(),
    defaultReplyPolicy: replyPolicy,
    inboxOpen: z.boolean(),
    absenceMessage: nullableString,
    reopensAt: z.nullable(time),
    whoCanStartRequests: z.enum(WHO_CAN_START_REQUESTS),
    allowedAttributes: z.array(patientAttribute),
    sameDayCooldown: z.boolean(),
    patientAttachments: z.boolean(),
    notifications: z.strictObject({
      mode: z.enum(NOTIFICATION_MODES),
      threshold: z.number().check(z.int()),
      email: nullableString,
    }),
    /**
     * Only in the answer of a PATCH that changed a control field (inboxOpen, absenceMessage,
     * reopensAt, whoCanStartRequests, allowedAttributes, sameDayCooldown, timezone): that write
     * returns the stored item's time of change (updateMessagingControls); GET never has it.
     */
    updatedAt: z.optional(time),
  }),
  'Settings',
  'A practitioner’s settings, with the defaults where they set nothing. `updatedAt` only in the answer ' +
    'of a PATCH that changed a messaging control.',
);

const patientAttributes = z.strictObject(
  Object.fromEntries(PATIENT_ATTRIBUTES.map((attribute) => [attribute, z.boolean()])) as Record<
    (typeof PATIENT_ATTRIBUTES)[number],
    z.ZodMiniBoolean
  >,
);

export const patientRecordSchema = named(
  z.strictObject({
    patientId: id,
    firstName: z.string(),
    lastName: z.string(),
    email: nullableString,
    attributes: patientAttributes,
    blocked: z.boolean(),
    allowed: z.boolean(),
    createdAt: time,
    updatedAt: time,
  }),
  'PatientRecord',
  'A patient in the practitioner’s patient base.',
);

// --- Templates, automations, group communications, scheduled messages --------------------------

export const templateSchema = named(
  z.strictObject({
    id,
    name: z.string(),
    body: z.string(),
    defaultReplyPolicy: z.nullable(replyPolicy),
    variables: z.array(z.enum(TEMPLATE_VARIABLES)),
    automationCount: z.number().check(z.int(), z.gte(0)),
    createdAt: time,
    updatedAt: time,
  }),
  'Template',
  'A message template and the variables it uses.',
);

export const automationSchema = named(
  z.strictObject({
    id,
    trigger: z.literal('appointment_completed'),
    motive: nullableString,
    templateId: id,
    replyPolicy,
    delayMinutes: z.number().check(z.int(), z.gte(0)),
    createdAt: time,
  }),
  'Automation',
  'A message sent from a template after an appointment.',
);

export const communicationSchema = named(
  z.strictObject({
    id,
    status: z.enum(COMMUNICATION_STATUSES),
    audience: z.union([
      z.strictObject({ all: z.literal(true) }),
      z.strictObject({ attributes: z.array(patientAttribute) }),
    ]),
    replyPolicy,
    templateId: z.nullable(id),
    attachments: described(
      z.array(attachmentRefSchema),
      "The files every recipient's message carries (one copy, shared by all the communication's threads).",
    ),
    /** null while sending: the audience is counted as it is sent. */
    total: z.nullable(z.number().check(z.int(), z.gte(0))),
    sent: z.number().check(z.int(), z.gte(0)),
    failed: z.number().check(z.int(), z.gte(0)),
    createdAt: time,
    startedAt: z.nullable(time),
    finishedAt: z.nullable(time),
    failureReason: nullableString,
    pausedUntil: described(
      z.nullable(time),
      "Set while the practitioner's daily recipients quota holds the fan-out (status stays queued or sending): it resumes on its own at this time, the next midnight in Europe/Paris; null otherwise.",
    ),
  }),
  'Communication',
  'A group communication and its progress.',
);

export const scheduledMessageSchema = named(
  z.strictObject({
    id,
    status: z.enum(SCHEDULED_MESSAGE_STATUSES),
    kind: z.enum(['new-thread', 'reply']),
    sendAt: time,
    patientId: id,
    threadId: z.nullable(id),
    appointmentId: z.nullable(id),
    replyPolicy,
    body: nullableString,
    templateId: z.nullable(id),
    createdAt: time,
    messageId: z.nullable(id),
    sentAt: z.nullable(time),
    cancelledAt: z.nullable(time),
    refusedAt: z.nullable(time),
    refusalReason: nullableString,
    refusalDetails: z.nullable(z.record(z.string(), z.string())),
  }),
  'ScheduledMessage',
  'A message to send later (deferred reply, new thread, appointment message).',
);

// --- Audit, summaries, messaging access -------------------------------------------------------

export const auditEntrySchema = named(
  z.strictObject({
    at: time,
    action: z.enum([
      ...new Set([...THREAD_AUDIT_ACTIONS, ...PRACTITIONER_AUDIT_ACTIONS, ...PATIENT_AUDIT_ACTIONS]),
    ]),
    actor: z.strictObject({
      role: z.enum(['practitioner', 'patient', 'assistant', 'system']),
      id,
      /** An assistant's entry: the practitioner they acted for (SPEC 11.2). */
      onBehalfOf: z.optional(id),
    }),
    requestId: z.string(),
    objects: z.strictObject({
      threadId: z.optional(id),
      messageId: z.optional(id),
      practitionerId: z.optional(id),
      patientId: z.optional(id),
      appointmentId: z.optional(id),
      templateId: z.optional(id),
      automationId: z.optional(id),
      communicationId: z.optional(id),
      scheduledMessageId: z.optional(id),
      assistantId: z.optional(id),
      attachmentId: z.optional(id),
    }),
    details: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  }),
  'AuditEntry',
  'One entry of an audit trail: ids, verbs and times only, never a text.',
);

const count = z.number().check(z.int(), z.gte(0));
const hours = z.nullable(z.number().check(z.int(), z.gte(1), z.lte(168)));
const periodStats = z.strictObject({
  requestsReceived: count,
  requestsTreated: count,
  medianHoursToTreat: hours,
  p90HoursToTreat: hours,
  treatedWithin48hShare: z.nullable(z.number().check(z.gte(0), z.lte(1))),
  openBacklog: count,
  oldestOpenDay: z.nullable(z.string()),
});

/** Shown on every patient-facing messaging answer (SPEC section 8). */
const notice = described(
  z.string(),
  'The reminder that messaging is not for emergencies (call 15 or 112), to show to the patient.',
);

const list = <S extends z.core.$ZodType>(item: S) => z.strictObject({ items: z.array(item), nextCursor });

// --- Practice teams (SPEC 11.2) -----------------------------------------------------------------

const scopes = z.array(z.enum(DELEGATION_SCOPES));

export const delegateSchema = named(
  z.strictObject({
    assistantId: id,
    displayName: z.string(),
    scopes,
    notify: z.boolean(),
    createdAt: time,
    updatedAt: time,
  }),
  'Delegate',
  'An assistant the practitioner delegates to, with the scopes granted.',
);

export const assistantPractitionerSchema = named(
  z.strictObject({ practitionerId: id, displayName: z.string(), scopes, notify: z.boolean() }),
  'AssistantPractitioner',
  'A practitioner the assistant works for: pass `practitionerId` as `On-Behalf-Of`. `displayName` is how the practice names the assistant.',
);

/** Every response body, by the name function declarations use (shared/http/response-schemas.ts). */
export const responseSchemas = {
  settings: settingsSchema,
  patientRecord: patientRecordSchema,
  practitionerMessageCreated: named(
    z.strictObject({ thread: practitionerThreadSchema, message: practitionerMessageSchema }),
    'PractitionerMessageCreated',
    'The message sent and its thread.',
  ),
  patientMessageCreated: named(
    z.strictObject({ thread: patientThreadSchema, message: patientMessageSchema, notice }),
    'PatientMessageCreated',
    'The message sent and its thread, with the emergency notice.',
  ),
  scheduledMessage: scheduledMessageSchema,
  practitionerThreadList: named(
    list(practitionerThreadSchema),
    'PractitionerThreadList',
    'A page of threads, newest activity first; `nextCursor` null on the last page.',
  ),
  patientThreadList: named(
    z.strictObject({ items: z.array(patientThreadSchema), nextCursor, notice }),
    'PatientThreadList',
    'A page of the patient’s threads; `nextCursor` null on the last page.',
  ),
  practitionerThreadWithMessages: named(
    z.strictObject({
      thread: practitionerThreadSchema,
      messages: z.array(practitionerMessageSchema),
      nextCursor,
    }),
    'PractitionerThreadWithMessages',
    'A thread and a page of its newest messages; `nextCursor` pages back to older ones.',
  ),
  patientThreadWithMessages: named(
    z.strictObject({
      thread: patientThreadSchema,
      messages: z.array(patientMessageSchema),
      nextCursor,
      notice,
    }),
    'PatientThreadWithMessages',
    'A thread and a page of its newest messages, with the emergency notice.',
  ),
  practitionerThreadOnly: named(
    z.strictObject({ thread: practitionerThreadSchema }),
    'PractitionerThreadOnly',
    'The thread after the change.',
  ),
  patientThreadOnly: named(
    z.strictObject({ thread: patientThreadSchema, notice }),
    'PatientThreadOnly',
    'The thread after the change, with the emergency notice.',
  ),
  retractedMessage: named(
    z.strictObject({ thread: practitionerThreadSchema, message: practitionerMessageSchema }),
    'RetractedMessage',
    'The retracted message (a tombstone: no body) and its thread.',
  ),
  auditTrail: named(list(auditEntrySchema), 'AuditTrail', 'A page of audit entries.'),
  messagingAccess: named(
    z.strictObject({
      practitionerId: id,
      canStartRequest: z.boolean(),
      reason: z.nullable(refusalCode),
      message: nullableString,
      details: z.nullable(
        z.union([z.strictObject({ reopensAt: z.nullable(time) }), z.strictObject({ retryAfter: time })]),
      ),
      notice,
    }),
    'MessagingAccess',
    'Whether the patient may start a request with this practitioner now, and why not.',
  ),
  practitionerSummary: named(
    z.strictObject({
      untreatedMessages: count,
      unreadThreads: count,
      openThreads: count,
      /** For an assistant (On-Behalf-Of): the open threads assigned to them. */
      assignedToMe: z.optional(count),
    }),
    'PractitionerSummary',
    'The practitioner’s counters.',
  ),
  practitionerStats: named(
    z.strictObject({
      from: z.string(),
      to: z.string(),
      timeZone: z.string(),
      total: periodStats,
      weeks: z.array(z.strictObject({ weekStart: z.string(), ...periodStats.shape })),
    }),
    'PractitionerStats',
    'Time to treat (SPEC 11.5), in total and per week (weeks start on Monday; only weeks with activity). ' +
      'Hours are whole hours, as "treated within n hours" (168: a week or more).',
  ),
  patientSummary: named(
    z.strictObject({ unreadMessages: count }),
    'PatientSummary',
    'The patient’s counters.',
  ),
  template: templateSchema,
  templateList: named(list(templateSchema), 'TemplateList', 'A page of templates.'),
  templatePreview: named(
    z.strictObject({ body: z.string() }),
    'TemplatePreview',
    'The template rendered with the values given.',
  ),
  automation: automationSchema,
  automationList: named(list(automationSchema), 'AutomationList', 'A page of automations.'),
  communication: communicationSchema,
  communicationList: named(list(communicationSchema), 'CommunicationList', 'A page of group communications.'),
  scheduledMessageList: named(
    list(scheduledMessageSchema),
    'ScheduledMessageList',
    'A page of scheduled messages.',
  ),
  delegate: delegateSchema,
  delegateList: named(list(delegateSchema), 'DelegateList', 'A page of the practitioner’s delegates.'),
  assistantPractitionerList: named(
    list(assistantPractitionerSchema),
    'AssistantPractitionerList',
    'A page of the practitioners the assistant works for.',
  ),
  delegateNotifications: named(
    z.strictObject({ practitionerId: id, notify: z.boolean(), verifiedAddress: z.boolean() }),
    'DelegateNotifications',
    'The assistant’s choice for this practitioner’s inbox emails. `verifiedAddress`: whether their own token gave a verified email; without one nothing is sent.',
  ),
  erasure: named(
    z.strictObject({
      /** The practitioner's route names the patient whose record was erased; the patient's does not. */
      patientId: z.optional(id),
      status: z.literal('erased'),
      erasedAt: time,
    }),
    'Erasure',
    'The contact data is erased (SPEC 11.6); a repeat answers the same `erasedAt`.',
  ),
  exportRequested: named(
    z.strictObject({ id, status: z.literal('pending') }),
    'ExportRequested',
    'The export is being built: poll `GET /v1/patient/exports/{id}`.',
  ),
  exportStatus: named(
    z.strictObject({
      status: z.enum(['pending', 'ready']),
      downloadUrl: z.optional(z.url()),
      expiresAt: z.optional(time),
    }),
    'ExportStatus',
    'Once `ready`: a link valid 15 minutes (each one handed out is audited) and when it expires.',
  ),
  attachmentUpload: named(
    z.strictObject({
      id,
      uploadUrl: z.url(),
      uploadHeaders: z.strictObject({ 'Content-Type': z.string(), 'Content-Length': z.string() }),
      expiresAt: time,
    }),
    'AttachmentUpload',
    'PUT the file to `uploadUrl` (valid 15 minutes) with exactly `uploadHeaders`: another type or length ' +
      'fails the signature. The attachment is `pending` until checked, then usable in a message if clean.',
  ),
  attachmentDownload: named(
    z.strictObject({ downloadUrl: z.url(), expiresAt: time }),
    'AttachmentDownload',
    'A GET link to the file, valid 5 minutes; each one handed out is in the audit trail.',
  ),
} as const;

export type ResponseSchemaName = keyof typeof responseSchemas;
