import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/** A practitioner retracted a message the patient had not read; a tombstone stays. */
export const MessageRetracted = defineEvent(
  'MessageRetracted',
  z.strictObject({
    threadId: id,
    messageId: id,
    practitionerId: id,
    patientId: id,
    retractedAt: timestamp,
  }),
);
