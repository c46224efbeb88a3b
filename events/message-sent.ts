import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/**
 * A practitioner message reached a patient's thread. `authorId`: the assistant
 * who wrote it for the practice (SPEC 11.2), an id and never a name; absent when
 * the practitioner wrote it.
 */
export const MessageSent = defineEvent(
  'MessageSent',
  z.strictObject({
    threadId: id,
    messageId: id,
    practitionerId: id,
    patientId: id,
    replyPolicy: z.enum(['none', 'single', 'until_closed']),
    sentAt: timestamp,
    authorId: z.optional(id),
  }),
);
