import * as z from '../shared/validation.ts';
import { actor, id, timestamp } from './common.ts';
import { defineEvent } from './define.ts';

/**
 * A patient's contact data was erased (SPEC 11.6): by one practitioner from their
 * own record (`practitionerId` set), or everywhere at the patient's request
 * (`practitionerId` null). Ids only: the event never carried the names.
 */
export const PatientErased = defineEvent(
  'PatientErased',
  z.strictObject({
    patientId: id,
    practitionerId: z.nullable(id),
    requestedBy: actor,
    erasedAt: timestamp,
  }),
);
