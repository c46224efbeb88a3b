import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/** A patient message reached a practitioner's inbox; consumers read the counters themselves. */
export const MessageReceived = defineEvent(
  'MessageReceived',
  z.strictObject({
    threadId: id,
    messageId: id,
    practitionerId: id,
    patientId: id,
    receivedAt: timestamp,
  }),
);
