import * as z from 'zod';
import { AUTOMATION_TRIGGERS, MAX_AUTOMATION_DELAY_MINUTES } from '../domain/automations.ts';
import { MAX_THRESHOLD, MIN_THRESHOLD, NOTIFICATION_MODES } from '../domain/notifications.ts';
import { isValidTimeZone, WHO_CAN_START_REQUESTS } from '../domain/settings.ts';
import { PATIENT_ATTRIBUTES, type PatientAttribute } from '../domain/types.ts';
import { cursorSchema, idSchema, limitSchema, messageBodySchema, replyPolicySchema } from './schemas.ts';

const email = z.email().max(254);
const name = z.string().trim().min(1).max(100);

/**
 * The practitioner controls in a settings PATCH. That a reopening date is in
 * the future (and only set while closed) is checked by the use case, against
 * its clock.
 */
const messagingControlsShape = {
  inboxOpen: z.boolean(),
  absenceMessage: z.string().trim().min(1).max(1000).nullable(),
  reopensAt: z.iso
    .datetime({ offset: true })
    .transform((value) => new Date(value).toISOString())
    .nullable(),
  whoCanStartRequests: z.enum(WHO_CAN_START_REQUESTS),
  allowedAttributes: z
    .array(z.enum(PATIENT_ATTRIBUTES))
    .max(PATIENT_ATTRIBUTES.length)
    .refine((list) => new Set(list).size === list.length, 'Each attribute at most once'),
  sameDayCooldown: z.boolean(),
};

/** `notifications` in a PATCH: any subset, merged into the current values; `email: null` = the settings email. */
export const notificationsPatchSchema = z
  .strictObject({
    mode: z.enum(NOTIFICATION_MODES),
    threshold: z.number().int().min(MIN_THRESHOLD).max(MAX_THRESHOLD),
    email: email.nullable(),
  })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, 'At least one notification setting must be given');

export const settingsPatchSchema = z
  .strictObject({
    displayName: name.nullable(),
    email: email.nullable(),
    timezone: z.string().max(64).refine(isValidTimeZone, 'Must be an IANA time zone such as Europe/Paris'),
    defaultReplyPolicy: replyPolicySchema,
    notifications: notificationsPatchSchema,
    ...messagingControlsShape,
  })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, 'At least one setting must be given');

const attributesShape = Object.fromEntries(
  PATIENT_ATTRIBUTES.map((a) => [a, z.boolean().default(false)]),
) as Record<PatientAttribute, z.ZodDefault<z.ZodBoolean>>;

export const patientRecordSchema = z.strictObject({
  firstName: name,
  lastName: name,
  email: email.nullable().default(null),
  attributes: z.strictObject(attributesShape).prefault({}),
});

/** Wherever a body is accepted, `templateId` may replace it: exactly one of the two. */
export const bodyXorTemplate = (
  value: { body?: string | undefined; templateId?: string | undefined },
  ctx: z.RefinementCtx,
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
  body: messageBodySchema.optional(),
  templateId: idSchema.optional(),
};

/**
 * Deferred sending: when to deliver (ISO-8601, normalised to UTC). That it is in
 * the future and at most one year ahead is checked by the use case, against its clock.
 */
export const sendAtSchema = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(value).toISOString());

export const startThreadSchema = z
  .strictObject({
    patientId: idSchema,
    ...messageContentShape,
    replyPolicy: replyPolicySchema.optional(),
    appointmentId: idSchema.optional(),
    sendAt: sendAtSchema.optional(),
  })
  .superRefine(bodyXorTemplate);

/**
 * Safe treat: the newest message id the practitioner saw (the last message of
 * the thread's first page). Optional: without it, their last read counts.
 */
const lastSeenMessageIdSchema = idSchema.optional();

/** POST /threads/{threadId}/treat: the body may be empty. */
export const treatSchema = z.strictObject({ lastSeenMessageId: lastSeenMessageIdSchema });

export const replySchema = z
  .strictObject({
    ...messageContentShape,
    replyPolicy: replyPolicySchema.optional(),
    markTreated: z.boolean().optional(),
    lastSeenMessageId: lastSeenMessageIdSchema,
    sendAt: sendAtSchema.optional(),
  })
  .superRefine(bodyXorTemplate)
  .superRefine((value, ctx) => {
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
  });

/** From the appointment window: the patient and the context come from the appointment. */
export const appointmentMessageSchema = z
  .strictObject({
    ...messageContentShape,
    replyPolicy: replyPolicySchema.optional(),
    sendAt: sendAtSchema.optional(),
  })
  .superRefine(bodyXorTemplate);

/** Everyone in the base, or the patients having ANY of the attributes (each at most once). */
export const audienceSchema = z.union([
  z.strictObject({ all: z.literal(true) }),
  z.strictObject({
    attributes: z
      .array(z.enum(PATIENT_ATTRIBUTES))
      .min(1)
      .max(PATIENT_ATTRIBUTES.length)
      .refine((list) => new Set(list).size === list.length, 'Each attribute at most once'),
  }),
]);

/** A group communication: a typed text (may use the patient/practitioner variables) or a template. */
export const communicationSchema = z
  .strictObject({
    ...messageContentShape,
    replyPolicy: replyPolicySchema.optional(),
    audience: audienceSchema,
  })
  .superRefine(bodyXorTemplate);

export const communicationIdParams = z.strictObject({ communicationId: idSchema });
export const scheduledMessageIdParams = z.strictObject({ scheduledMessageId: idSchema });

/** `scheduled` (default): pending ones, soonest first; `all`: every status, newest scheduled first. */
export const scheduledMessagesQuerySchema = z.strictObject({
  status: z.enum(['scheduled', 'all']).default('scheduled'),
  limit: limitSchema,
  cursor: cursorSchema,
});

export const templateIdParams = z.strictObject({ templateId: idSchema });
export const automationIdParams = z.strictObject({ automationId: idSchema });
export const appointmentIdParams = z.strictObject({ appointmentId: idSchema });

/** A template: the variables are checked by the use case (422 naming an unknown one). */
export const templateSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  body: messageBodySchema,
  defaultReplyPolicy: replyPolicySchema.nullable().optional(),
});

export const templatePreviewSchema = z.strictObject({
  patientId: idSchema,
  appointmentId: idSchema.optional(),
});

export const automationSchema = z.strictObject({
  trigger: z.enum(AUTOMATION_TRIGGERS).default('appointment_completed'),
  motive: z.string().trim().min(1).max(200).nullable().optional(),
  templateId: idSchema,
  replyPolicy: replyPolicySchema.optional(),
  delayMinutes: z.number().int().min(0).max(MAX_AUTOMATION_DELAY_MINUTES),
});

export const listQuerySchema = z.strictObject({ limit: limitSchema, cursor: cursorSchema });

export const inboxQuerySchema = z.strictObject({
  filter: z.enum(['all', 'open', 'closed', 'untreated']).default('all'),
  limit: limitSchema,
  cursor: cursorSchema,
});

export const threadMessageParams = z.strictObject({ threadId: idSchema, messageId: idSchema });
