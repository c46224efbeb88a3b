import { AGENDA_SOURCE } from '../shared/config.ts';
import * as z from '../shared/validation.ts';
import { id } from './common.ts';
import { defineConsumedEvent } from './define.ts';

/** Published by the agenda when an appointment is cancelled; terminal for this service. */
export const AppointmentCancelled = defineConsumedEvent(
  AGENDA_SOURCE,
  'AppointmentCancelled',
  z.object({
    appointmentId: id,
    practitionerId: id,
    patientId: id,
    cancelledAt: z.iso.datetime({ offset: true }),
  }),
);
