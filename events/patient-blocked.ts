import * as z from '../shared/validation.ts';
import { id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/** A practitioner blocked a patient from messaging (not from booking). */
export const PatientBlocked = defineEvent(
  'PatientBlocked',
  z.strictObject({ practitionerId: id, patientId: id, blockedAt: timestamp }),
);
