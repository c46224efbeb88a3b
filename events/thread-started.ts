import * as z from 'zod';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

export const ThreadStarted = defineEvent(
  'ThreadStarted',
  z.strictObject({
    threadId: id,
    practitionerId: id,
    patientId: id,
    origin: z.enum(['patient', 'practitioner']),
    appointmentId: id.nullable(),
    startedAt: timestamp,
  }),
);
