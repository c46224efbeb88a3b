import { AppointmentBooked } from '../../events/appointment-booked.ts';
import { AppointmentCancelled } from '../../events/appointment-cancelled.ts';
import { AppointmentCompleted } from '../../events/appointment-completed.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import {
  recordAppointmentBooked,
  recordAppointmentCancelled,
  recordAppointmentCompleted,
} from '../../shared/use-cases/appointments.ts';

/** Exported for the integration tests, which run the same consumer on a test table. */
export const appointmentEventHandlers = [
  on(AppointmentBooked, (data, event, deps) => recordAppointmentBooked(deps, data, event)),
  on(AppointmentCancelled, (data, _event, deps) => recordAppointmentCancelled(deps, data)),
  on(AppointmentCompleted, (data, _event, deps) => recordAppointmentCompleted(deps, data)),
];

/** The agenda's appointment events (rule `appointment-events` in events/rules.ts). */
export const handler = eventConsumer('appointment-events', appointmentEventHandlers);
