import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/** The practitioner cancelled a deferred message before it went. */
export const ScheduledMessageCancelled = defineEvent(
  'ScheduledMessageCancelled',
  z.strictObject({ scheduledMessageId: id, practitionerId: id, patientId: id, cancelledAt: timestamp }),
);
