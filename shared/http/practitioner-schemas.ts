import { z } from 'zod';
import { isValidTimeZone } from '../domain/settings.ts';
import { PATIENT_ATTRIBUTES, type PatientAttribute } from '../domain/types.ts';
import { cursorSchema, idSchema, limitSchema, messageBodySchema, replyPolicySchema } from './schemas.ts';

const email = z.email().max(254);
const name = z.string().trim().min(1).max(100);

export const settingsPatchSchema = z
  .strictObject({
    displayName: name.nullable(),
    email: email.nullable(),
    timezone: z.string().max(64).refine(isValidTimeZone, 'Must be an IANA time zone such as Europe/Paris'),
    defaultReplyPolicy: replyPolicySchema,
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

export const startThreadSchema = z.strictObject({
  patientId: idSchema,
  body: messageBodySchema,
  replyPolicy: replyPolicySchema.optional(),
});

export const replySchema = z.strictObject({
  body: messageBodySchema,
  replyPolicy: replyPolicySchema.optional(),
  markTreated: z.boolean().optional(),
});

export const inboxQuerySchema = z.strictObject({
  filter: z.enum(['all', 'open', 'closed', 'untreated']).default('all'),
  limit: limitSchema,
  cursor: cursorSchema,
});
