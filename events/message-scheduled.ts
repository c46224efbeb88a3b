import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/** A practitioner scheduled a message for later (deferred sending); never its text. */
export const MessageScheduled = defineEvent(
  'MessageScheduled',
  z.strictObject({
    scheduledMessageId: id,
    practitionerId: id,
    patientId: id,
    /** The thread it answers; null for a new thread. */
    threadId: z.nullable(id),
    sendAt: timestamp,
    scheduledAt: timestamp,
  }),
);
