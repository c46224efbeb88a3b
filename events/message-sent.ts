import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/** A practitioner message reached a patient's thread. */
export const MessageSent = defineEvent(
  'MessageSent',
  z.strictObject({
    threadId: id,
    messageId: id,
    practitionerId: id,
    patientId: id,
    replyPolicy: z.enum(['none', 'single', 'until_closed']),
    sentAt: timestamp,
  }),
);
