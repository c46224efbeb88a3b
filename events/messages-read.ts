import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

export const MessagesRead = defineEvent(
  'MessagesRead',
  z.strictObject({
    threadId: id,
    practitionerId: id,
    patientId: id,
    // The actors but `system` (a read is always someone's), as classic zod's actor.exclude(['system']) gave.
    reader: z.enum(['practitioner', 'patient']),
    count: z.number().check(z.int(), z.nonnegative()),
    readAt: timestamp,
  }),
);
