import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/** A practitioner withdrew a patient's explicit permission to start requests. */
export const PatientDisallowed = defineEvent(
  'PatientDisallowed',
  z.strictObject({ practitionerId: id, patientId: id, disallowedAt: timestamp }),
);
