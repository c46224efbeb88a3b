import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/** A practitioner closed their messaging; never carries the absence message text. */
export const InboxClosed = defineEvent(
  'InboxClosed',
  z.strictObject({ practitionerId: id, closedAt: timestamp, reopensAt: z.nullable(timestamp) }),
);
