/**
 * Appointments from the agenda (consumer `appointment-events`) and sending from
 * the appointment window. Each event is one or two conditional writes, so a
 * duplicate is a no-op and any delivery order ends in the same state.
 */
import type { AppointmentBooked } from '../../events/appointment-booked.ts';
import type { AppointmentCancelled } from '../../events/appointment-cancelled.ts';
import type { AppointmentCompleted } from '../../events/appointment-completed.ts';
import type { EventDetail } from '../../events/define.ts';
import { toUtcIso } from '../domain/appointments.ts';
import type { ReplyPolicy } from '../domain/types.ts';
import { triggerAutomations } from './automations.ts';
import { loadAppointmentFor, type MessageContent } from './compose-message.ts';
import type { Deps, PractitionerActor } from './deps.ts';
import { startPractitionerThread } from './practitioner-messaging.ts';

/** The EventBridge time of the delivery: orders two bookings of the same appointment. */
export interface AgendaDelivery {
  time: string;
}

/**
 * Keeps the appointment's time and motive and puts the patient in the
 * practitioner's base (names, email), keeping what the practitioner set
 * (attributes, block, allow).
 */
export const recordAppointmentBooked = async (
  deps: Deps,
  data: EventDetail<typeof AppointmentBooked>,
  delivery: AgendaDelivery,
) => {
  const now = deps.clock.now().toISOString();
  const eventAt = toUtcIso(delivery.time);
  const email = data.patient.email ?? null;
  const [patient, appointment, contactRecorded] = await Promise.all([
    deps.patients.upsertFromAgenda(
      data.practitionerId,
      data.patientId,
      {
        firstName: data.patient.firstName,
        lastName: data.patient.lastName,
        email,
      },
      eventAt,
      now,
    ),
    deps.appointments.recordBooked(
      {
        practitionerId: data.practitionerId,
        appointmentId: data.appointmentId,
        patientId: data.patientId,
        startsAt: toUtcIso(data.startsAt),
        motive: data.motive ? data.motive : null,
        eventAt,
      },
      now,
    ),
    // The agenda verified this address at booking: the patient's notification address
    // unless they have one from their own identity (ADR 0010). Dated by the event, so
    // a late or redelivered booking never replaces a newer one.
    email ? deps.contacts.recordAgenda(data.patientId, email, eventAt) : false,
  ]);
  return {
    patientRecordUpdated: patient.applied,
    appointmentUpdated: appointment.applied,
    contactRecorded,
  };
};

export const recordAppointmentCancelled = async (
  deps: Deps,
  data: EventDetail<typeof AppointmentCancelled>,
) => {
  const result = await deps.appointments.recordCancelled(
    {
      practitionerId: data.practitionerId,
      appointmentId: data.appointmentId,
      patientId: data.patientId,
      cancelledAt: toUtcIso(data.cancelledAt),
    },
    deps.clock.now().toISOString(),
  );
  return { appointmentUpdated: result.applied };
};

/**
 * Records the completion and triggers the automations. On a redelivery the
 * completion is already there: the automations are triggered again, which is
 * safe (a scheduled run is not scheduled twice, a sent one is not sent twice)
 * and finishes what a crashed first delivery may have left undone.
 */
export const recordAppointmentCompleted = async (
  deps: Deps,
  data: EventDetail<typeof AppointmentCompleted>,
) => {
  const { applied, appointment } = await deps.appointments.recordCompleted(
    {
      practitionerId: data.practitionerId,
      appointmentId: data.appointmentId,
      patientId: data.patientId,
      completedAt: toUtcIso(data.completedAt),
    },
    deps.clock.now().toISOString(),
  );
  const automations = appointment.status === 'completed' ? await triggerAutomations(deps, appointment) : [];
  return { appointmentUpdated: applied, status: appointment.status, automations };
};

/**
 * From the appointment window: a new thread to the appointment's patient,
 * carrying the appointment, whose template variables (date, time, motive) are
 * then available. Another practitioner's appointment is a 404.
 */
export const sendFromAppointment = async (
  deps: Deps,
  actor: PractitionerActor,
  appointmentId: string,
  input: MessageContent & { replyPolicy?: ReplyPolicy; attachmentIds?: string[] },
) => {
  const appointment = await loadAppointmentFor(deps, actor.practitionerId, appointmentId);
  return startPractitionerThread(
    deps,
    actor,
    { ...input, patientId: appointment.patientId, appointmentId },
    { appointment },
  );
};
