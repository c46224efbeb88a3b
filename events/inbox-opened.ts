import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/**
 * A practitioner's messaging reopened: by hand (`practitioner`) or because its
 * reopening date came (`schedule`; `openedAt` is that date).
 */
export const InboxOpened = defineEvent(
  'InboxOpened',
  z.strictObject({
    practitionerId: id,
    openedAt: timestamp,
    trigger: z.enum(['practitioner', 'schedule']),
  }),
);
