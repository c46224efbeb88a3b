import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/** The patient was emailed that a practitioner message waits for them (the email never holds the text). */
export const PatientNotified = defineEvent(
  'PatientNotified',
  z.strictObject({
    practitionerId: id,
    patientId: id,
    threadId: id,
    messageId: id,
    notifiedAt: timestamp,
  }),
);
