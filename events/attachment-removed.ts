import * as z from '../shared/validation.ts';
import { id } from './common.ts';
import { defineEvent } from './define.ts';

/**
 * An attachment's item was deleted — unused 24 hours after its upload, or by the patient's
 * erasure: its object is to be deleted too (functions/attachment-remover). Ids only.
 */
export const AttachmentRemoved = defineEvent(
  'AttachmentRemoved',
  z.strictObject({ attachmentId: id, reason: z.enum(['unused', 'erased']) }),
);
