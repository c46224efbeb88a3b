import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/** A practitioner allowed a patient to start requests (matters under `allowed_patients`). */
export const PatientAllowed = defineEvent(
  'PatientAllowed',
  z.strictObject({ practitionerId: id, patientId: id, allowedAt: timestamp }),
);
