import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/** A patient asked for an export of their data (SPEC 11.6): the export worker builds it. Ids only. */
export const ExportRequested = defineEvent(
  'ExportRequested',
  z.strictObject({ patientId: id, exportId: id, requestedAt: timestamp }),
);
