/**
 * What this service keeps of the agenda's appointments. The agenda delivers
 * events at least once and in any order, so the stored status only moves
 * forward: booked → completed → cancelled, cancelled being terminal (a late
 * AppointmentBooked never resurrects a cancelled appointment, a late
 * AppointmentCompleted never un-cancels one). The repository enforces this with
 * condition expressions; these are the rules it encodes.
 */
export const APPOINTMENT_STATUSES = ['booked', 'completed', 'cancelled'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

export interface Appointment {
  appointmentId: string;
  practitionerId: string;
  patientId: string;
  /** Null until the AppointmentBooked event arrived (a cancel or completion may come first). */
  startsAt: string | null;
  motive: string | null;
  status: AppointmentStatus;
  /** EventBridge time of the AppointmentBooked applied last: an older one (a replay) never overwrites a newer move. */
  bookedEventAt: string | null;
  completedAt: string | null;
  cancelledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Whether the booking details (start time, motive) have arrived. */
export const isBookingKnown = (appointment: Appointment): boolean => appointment.startsAt !== null;

/** ISO-8601 with any offset → the canonical UTC form stored and compared everywhere. */
export const toUtcIso = (instant: string): string => new Date(instant).toISOString();
