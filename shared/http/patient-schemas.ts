import * as z from '../validation.ts';
import { attachmentIdsSchema, cursorSchema, idSchema, limitSchema, messageBodySchema } from './schemas.ts';

export const startRequestSchema = z.strictObject({
  practitionerId: idSchema,
  body: messageBodySchema,
  attachmentIds: attachmentIdsSchema,
});

export const patientWriteSchema = z.strictObject({
  body: messageBodySchema,
  attachmentIds: attachmentIdsSchema,
});

export const patientInboxQuerySchema = z.strictObject({ limit: limitSchema, cursor: cursorSchema });

export const practitionerIdParams = z.strictObject({ practitionerId: idSchema });
