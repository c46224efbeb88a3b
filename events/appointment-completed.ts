import { AGENDA_SOURCE } from '../shared/config.ts';
import * as z from '../shared/validation.ts';
import { id } from './common.ts';
import { defineConsumedEvent } from './define.ts';

/** Published by the agenda when a consultation is over; triggers the practitioner's automations. */
export const AppointmentCompleted = defineConsumedEvent(
  AGENDA_SOURCE,
  'AppointmentCompleted',
  z.object({
    appointmentId: id,
    practitionerId: id,
    patientId: id,
    completedAt: z.iso.datetime({ offset: true }),
  }),
);
