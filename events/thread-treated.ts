import * as z from 'zod';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

export const ThreadTreated = defineEvent(
  'ThreadTreated',
  z.strictObject({
    threadId: id,
    practitionerId: id,
    patientId: id,
    treatedMessages: z.number().int().nonnegative(),
    treatedAt: timestamp,
  }),
);
