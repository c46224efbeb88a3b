import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

export const ThreadTreated = defineEvent(
  'ThreadTreated',
  z.strictObject({
    threadId: id,
    practitionerId: id,
    patientId: id,
    treatedMessages: z.number().check(z.int(), z.nonnegative()),
    treatedAt: timestamp,
  }),
);
