import { AppointmentBooked } from '../../events/appointment-booked.ts';
import { AppointmentCancelled } from '../../events/appointment-cancelled.ts';
import { AppointmentCompleted } from '../../events/appointment-completed.ts';
import { on } from '../../shared/events-consumer.ts';
import {
  recordAppointmentBooked,
  recordAppointmentCancelled,
  recordAppointmentCompleted,
} from '../../shared/use-cases/appointments.ts';

/**
 * The use case for each agenda event. Apart from handler.ts (which builds the
 * function's dependencies when loaded) so the integration tests run the same
 * consumer on a test table.
 */
export const appointmentEventHandlers = [
  on(AppointmentBooked, (data, event, deps) => recordAppointmentBooked(deps, data, event)),
  on(AppointmentCancelled, (data, _event, deps) => recordAppointmentCancelled(deps, data)),
  on(AppointmentCompleted, (data, _event, deps) => recordAppointmentCompleted(deps, data)),
];
