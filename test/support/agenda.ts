/**
 * An appointment booked in the agenda, over the local stack's bus (POST
 * /local/events, as the agenda would publish it), delivered before it returns.
 * The patient's address then comes from a verified source (ADR 0010): the
 * agenda verified it at booking, so patient emails may go there.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TestApi } from './local-api.ts';

export const bookedByAgenda = async (
  t: TestApi,
  booking: {
    practitionerId: string;
    patientId: string;
    patient: { firstName: string; lastName: string; email: string };
    appointmentId?: string;
    startsAt?: string;
  },
): Promise<void> => {
  const res = await t.api.post('/local/events', {
    Source: 'agenda',
    DetailType: 'AppointmentBooked',
    Detail: {
      appointmentId: booking.appointmentId ?? `appt-${randomUUID()}`,
      practitionerId: booking.practitionerId,
      patientId: booking.patientId,
      startsAt: booking.startsAt ?? '2030-01-07T09:00:00.000Z',
      motive: null,
      patient: booking.patient,
    },
  });
  expect(res.status).toBe(202);
  await t.bus.drain();
};
