import * as z from '../shared/validation.ts';
import { id } from './common.ts';
import { defineEvent } from './define.ts';

/**
 * An attachment's item was deleted — unused 24 hours after its upload (`unused`), by the patient's
 * erasure (`erased`), or by the table's TTL at the end of its retention (`expired`: the outbox
 * publisher turns the TTL's deletion on the stream into this event): its object is to be deleted too
 * (functions/attachment-remover). Ids only.
 */
export const AttachmentRemoved = defineEvent(
  'AttachmentRemoved',
  z.strictObject({ attachmentId: id, reason: z.enum(['unused', 'erased', 'expired']) }),
);
