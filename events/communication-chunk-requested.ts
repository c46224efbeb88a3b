import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/**
 * The fan-out hands itself the next bounded chunk of a group communication
 * (`seq` = the chunk to run; the position in the patient base is on the
 * communication item, not in the event).
 */
export const CommunicationChunkRequested = defineEvent(
  'CommunicationChunkRequested',
  z.strictObject({
    communicationId: id,
    practitionerId: id,
    seq: z.number().check(z.int(), z.nonnegative()),
    requestedAt: timestamp,
  }),
);
