import { AGENDA_SOURCE } from '../shared/config.ts';
import * as z from '../shared/validation.ts';
import { id } from './common.ts';
import { defineConsumedEvent } from './define.ts';

const name = z.string().check(z.trim(), z.minLength(1), z.maxLength(100));

/**
 * Published by the agenda when an appointment is booked (or moved). The only
 * consumed event that carries personal data: the patient's names and email,
 * which become their patient record with the practitioner. Not strict: the
 * agenda may add fields without breaking this consumer; unknown ones are dropped.
 */
export const AppointmentBooked = defineConsumedEvent(
  AGENDA_SOURCE,
  'AppointmentBooked',
  z.object({
    appointmentId: id,
    practitionerId: id,
    patientId: id,
    startsAt: z.iso.datetime({ offset: true }),
    motive: z.nullish(z.string().check(z.trim(), z.maxLength(200))),
    patient: z.object({
      firstName: name,
      lastName: name,
      email: z.nullish(z.email().check(z.maxLength(254))),
    }),
  }),
);
