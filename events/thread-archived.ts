import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/** A closed thread left the practitioner's lists; nothing was deleted. */
export const ThreadArchived = defineEvent(
  'ThreadArchived',
  z.strictObject({ threadId: id, practitionerId: id, patientId: id, archivedAt: timestamp }),
);
