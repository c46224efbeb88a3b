import { z } from 'zod';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/** A patient message reached a practitioner's inbox; carries the counter value after the write. */
export const MessageReceived = defineEvent(
  'MessageReceived',
  z.strictObject({
    threadId: id,
    messageId: id,
    practitionerId: id,
    patientId: id,
    untreatedMessages: z.number().int().nonnegative(),
    receivedAt: timestamp,
  }),
);
