import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/**
 * A practitioner sent a group communication: the fan-out worker
 * (communication-fanout) starts walking the audience. Ids only: the text and the
 * audience stay in the table.
 */
export const CommunicationRequested = defineEvent(
  'CommunicationRequested',
  z.strictObject({ communicationId: id, practitionerId: id, requestedAt: timestamp }),
);
