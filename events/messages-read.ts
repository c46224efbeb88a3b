import * as z from 'zod';
import { actor, id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

export const MessagesRead = defineEvent(
  'MessagesRead',
  z.strictObject({
    threadId: id,
    practitionerId: id,
    patientId: id,
    reader: actor.exclude(['system']),
    count: z.number().int().nonnegative(),
    readAt: timestamp,
  }),
);
