import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/** A practitioner unblocked a patient: their previous messaging rights are back. */
export const PatientUnblocked = defineEvent(
  'PatientUnblocked',
  z.strictObject({ practitionerId: id, patientId: id, unblockedAt: timestamp }),
);
