import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

export const ThreadStarted = defineEvent(
  'ThreadStarted',
  z.strictObject({
    threadId: id,
    practitionerId: id,
    patientId: id,
    origin: z.enum(['patient', 'practitioner']),
    appointmentId: z.nullable(id),
    startedAt: timestamp,
  }),
);
