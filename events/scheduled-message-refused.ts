import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/**
 * A deferred message was not delivered at its time: the rules of that moment
 * refused it (e.g. THREAD_CLOSED) or its delivery kept failing (`failed`).
 */
export const ScheduledMessageRefused = defineEvent(
  'ScheduledMessageRefused',
  z.strictObject({
    scheduledMessageId: id,
    practitionerId: id,
    patientId: id,
    status: z.enum(['refused', 'failed']),
    /** A SPEC error code (THREAD_CLOSED, NOT_IN_PATIENT_BASE, TEMPLATE_VARIABLE_MISSING…) or DELIVERY_FAILED. */
    reason: z.string().check(z.regex(/^[A-Z_]{1,64}$/)),
    refusedAt: timestamp,
  }),
);
