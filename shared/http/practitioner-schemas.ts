import { ATTACHMENT_CONTENT_TYPES, ATTACHMENT_LIMITS } from '../domain/attachments.ts';
import { AUTOMATION_TRIGGERS, MAX_AUTOMATION_DELAY_MINUTES } from '../domain/automations.ts';
import { MAX_THRESHOLD, MIN_THRESHOLD, NOTIFICATION_MODES } from '../domain/notifications.ts';
import { isValidTimeZone, WHO_CAN_START_REQUESTS } from '../domain/settings.ts';
import { PATIENT_ATTRIBUTES, type PatientAttribute } from '../domain/types.ts';
import * as z from '../validation.ts';
import {
  attachmentIdsSchema,
  cursorSchema,
  idSchema,
  limitSchema,
  messageBodySchema,
  replyPolicySchema,
} from './schemas.ts';

const email = z.email().check(z.maxLength(254));
const name = z.string().check(z.trim(), z.minLength(1), z.maxLength(100));

/**
 * The practitioner controls in a settings PATCH. That a reopening date is in
 * the future (and only set while closed) is checked by the use case, against
 * its clock.
 */
const messagingControlsShape = {
  inboxOpen: z.boolean(),
  absenceMessage: z.nullable(z.string().check(z.trim(), z.minLength(1), z.maxLength(1000))),
  reopensAt: z.nullable(
    z.pipe(
      z.iso.datetime({ offset: true }),
      z.transform((value) => new Date(value).toISOString()),
    ),
  ),
  whoCanStartRequests: z.enum(WHO_CAN_START_REQUESTS),
  allowedAttributes: z.array(z.enum(PATIENT_ATTRIBUTES)).check(
    z.maxLength(PATIENT_ATTRIBUTES.length),
    z.refine((list) => new Set(list).size === list.length, 'Each attribute at most once'),
  ),
  sameDayCooldown: z.boolean(),
};

/** `notifications` in a PATCH: any subset, merged into the current values; `email: null` = the settings email. */
export const notificationsPatchSchema = z
  .partial(
    z.strictObject({
      mode: z.enum(NOTIFICATION_MODES),
      threshold: z.number().check(z.int(), z.gte(MIN_THRESHOLD), z.lte(MAX_THRESHOLD)),
      email: z.nullable(email),
    }),
  )
  .check(
    z.refine((patch) => Object.keys(patch).length > 0, 'At least one notification setting must be given'),
  );

export const settingsPatchSchema = z
  .partial(
    z.strictObject({
      displayName: z.nullable(name),
      email: z.nullable(email),
      timezone: z
        .string()
        .check(z.maxLength(64), z.refine(isValidTimeZone, 'Must be an IANA time zone such as Europe/Paris')),
      defaultReplyPolicy: replyPolicySchema,
      patientAttachments: z.boolean(),
      notifications: notificationsPatchSchema,
      ...messagingControlsShape,
    }),
  )
  .check(z.refine((patch) => Object.keys(patch).length > 0, 'At least one setting must be given'));

const attributesShape = Object.fromEntries(
  PATIENT_ATTRIBUTES.map((a) => [a, z._default(z.boolean(), false)]),
) as Record<PatientAttribute, z.ZodMiniDefault<z.ZodMiniBoolean>>;

export const patientRecordSchema = z.strictObject({
  firstName: name,
  lastName: name,
  email: z._default(z.nullable(email), null),
  attributes: z.prefault(z.strictObject(attributesShape), {}),
});

/** Wherever a body is accepted, `templateId` may replace it: exactly one of the two. */
export const bodyXorTemplate = (
  value: { body?: string | undefined; templateId?: string | undefined },
  ctx: z.core.$RefinementCtx,
) => {
  const given = (value.body !== undefined ? 1 : 0) + (value.templateId !== undefined ? 1 : 0);
  if (given !== 1) {
    ctx.addIssue({
      code: 'custom',
      path: [value.body !== undefined ? 'templateId' : 'body'],
      message:
        given === 0 ? 'Give the message body or a templateId' : 'Give either body or templateId, not both',
    });
  }
};

export const messageContentShape = {
  body: z.optional(messageBodySchema),
  templateId: z.optional(idSchema),
};

/**
 * Deferred sending: when to deliver (ISO-8601, normalised to UTC). That it is in
 * the future and at most one year ahead is checked by the use case, against its clock.
 */
export const sendAtSchema = z.pipe(
  z.iso.datetime({ offset: true }),
  z.transform((value) => new Date(value).toISOString()),
);

export const startThreadSchema = z
  .strictObject({
    patientId: idSchema,
    ...messageContentShape,
    attachmentIds: attachmentIdsSchema,
    replyPolicy: z.optional(replyPolicySchema),
    appointmentId: z.optional(idSchema),
    sendAt: z.optional(sendAtSchema),
  })
  .check(z.superRefine(bodyXorTemplate));

/**
 * Safe treat: the newest message id the practitioner saw (the last message of
 * the thread's first page). Optional: without it, their last read counts.
 */
const lastSeenMessageIdSchema = z.optional(idSchema);

/** POST /threads/{threadId}/treat: the body may be empty. */
export const treatSchema = z.strictObject({ lastSeenMessageId: lastSeenMessageIdSchema });

export const replySchema = z
  .strictObject({
    ...messageContentShape,
    attachmentIds: attachmentIdsSchema,
    replyPolicy: z.optional(replyPolicySchema),
    markTreated: z.optional(z.boolean()),
    lastSeenMessageId: lastSeenMessageIdSchema,
    sendAt: z.optional(sendAtSchema),
  })
  .check(
    z.superRefine(bodyXorTemplate),
    z.superRefine((value, ctx) => {
      // Treating now would close the thread and refuse the deferred reply; treating at delivery could close
      // patient messages that arrive meanwhile, unseen. Treat now, or once the message has gone.
      if (value.sendAt !== undefined && value.markTreated === true) {
        ctx.addIssue({
          code: 'custom',
          path: ['markTreated'],
          message: 'A deferred reply cannot mark the thread treated',
        });
      }
      if (value.lastSeenMessageId !== undefined && value.markTreated !== true) {
        ctx.addIssue({
          code: 'custom',
          path: ['lastSeenMessageId'],
          message: 'lastSeenMessageId is only for a reply that marks the thread treated (markTreated: true)',
        });
      }
    }),
  );

/** From the appointment window: the patient and the context come from the appointment. */
export const appointmentMessageSchema = z
  .strictObject({
    ...messageContentShape,
    attachmentIds: attachmentIdsSchema,
    replyPolicy: z.optional(replyPolicySchema),
    sendAt: z.optional(sendAtSchema),
  })
  .check(z.superRefine(bodyXorTemplate));

/** Everyone in the base, or the patients having ANY of the attributes (each at most once). */
export const audienceSchema = z.union([
  z.strictObject({ all: z.literal(true) }),
  z.strictObject({
    attributes: z.array(z.enum(PATIENT_ATTRIBUTES)).check(
      z.minLength(1),
      z.maxLength(PATIENT_ATTRIBUTES.length),
      z.refine((list) => new Set(list).size === list.length, 'Each attribute at most once'),
    ),
  }),
]);

/** A group communication: a typed text (may use the patient/practitioner variables) or a template. */
export const communicationSchema = z
  .strictObject({
    ...messageContentShape,
    /** Shared by every recipient's message (ADR 0016): the attachments are taken by the communication. */
    attachmentIds: attachmentIdsSchema,
    replyPolicy: z.optional(replyPolicySchema),
    audience: audienceSchema,
  })
  .check(z.superRefine(bodyXorTemplate));

export const communicationIdParams = z.strictObject({ communicationId: idSchema });
export const scheduledMessageIdParams = z.strictObject({ scheduledMessageId: idSchema });

/** `scheduled` (default): pending ones, soonest first; `all`: every status, newest scheduled first. */
export const scheduledMessagesQuerySchema = z.strictObject({
  status: z._default(z.enum(['scheduled', 'all']), 'scheduled'),
  limit: limitSchema,
  cursor: cursorSchema,
});

/** A `YYYY-MM-DD` day that exists (2026-02-30 is refused). */
const calendarDaySchema = z.string().check(
  z.regex(/^\d{4}-\d{2}-\d{2}$/, 'A day as YYYY-MM-DD'),
  // Zod runs this refinement even when the pattern failed: an unparsable date must be a refusal, not a throw.
  z.refine((day) => {
    const date = new Date(`${day}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(day);
  }, 'Not a calendar day'),
);

/** SPEC 11.5: at most 366 days, `from` not after `to`. */
export const MAX_STATS_DAYS = 366;
export const statsQuerySchema = z.strictObject({ from: calendarDaySchema, to: calendarDaySchema }).check(
  z.refine(({ from, to }) => from <= to, '`from` must not be after `to`'),
  z.refine(
    ({ from, to }) => (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1 <= MAX_STATS_DAYS,
    `At most ${MAX_STATS_DAYS} days`,
  ),
);

export const templateIdParams = z.strictObject({ templateId: idSchema });
export const automationIdParams = z.strictObject({ automationId: idSchema });
export const appointmentIdParams = z.strictObject({ appointmentId: idSchema });

/** A template: the variables are checked by the use case (422 naming an unknown one). */
export const templateSchema = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)),
  body: messageBodySchema,
  defaultReplyPolicy: z.optional(z.nullable(replyPolicySchema)),
});

export const templatePreviewSchema = z.strictObject({
  patientId: idSchema,
  appointmentId: z.optional(idSchema),
});

export const automationSchema = z.strictObject({
  trigger: z._default(z.enum(AUTOMATION_TRIGGERS), 'appointment_completed'),
  motive: z.optional(z.nullable(z.string().check(z.trim(), z.minLength(1), z.maxLength(200)))),
  templateId: idSchema,
  replyPolicy: z.optional(replyPolicySchema),
  delayMinutes: z.number().check(z.int(), z.gte(0), z.lte(MAX_AUTOMATION_DELAY_MINUTES)),
});

export const listQuerySchema = z.strictObject({ limit: limitSchema, cursor: cursorSchema });

export const inboxQuerySchema = z
  .strictObject({
    filter: z._default(z.enum(['all', 'open', 'closed', 'untreated']), 'all'),
    /** Triage (SPEC 11.2): the OPEN threads of `me` (the caller), `none` (unassigned) or an assignee id. */
    assignee: z.optional(idSchema),
    limit: limitSchema,
    cursor: cursorSchema,
  })
  .check(
    z.refine((q) => q.assignee === undefined || q.filter === 'all' || q.filter === 'open', {
      message: 'assignee lists open threads: use it alone or with filter=open',
      path: ['filter'],
    }),
  );

/** POST /attachments (both roles): what the upload URL is signed for (SPEC 11.3). */
export const createAttachmentSchema = z.strictObject({
  fileName: z.string().check(
    z.trim(),
    z.minLength(1),
    z.maxLength(ATTACHMENT_LIMITS.fileNameChars),
    // No path and no control characters: a name only, shown back as typed.
    z.refine(
      (name) =>
        !/[/\\]/.test(name) && ![...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f),
      'A file name without slashes or control characters',
    ),
  ),
  contentType: z.enum(ATTACHMENT_CONTENT_TYPES),
  size: z.number().check(z.int(), z.gte(1), z.lte(ATTACHMENT_LIMITS.maxBytes)),
});

export const threadMessageParams = z.strictObject({ threadId: idSchema, messageId: idSchema });
