import { appointmentIdParams, appointmentMessageSchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { sendFromAppointment } from '../../shared/use-cases/appointments.ts';

export const handler = httpRoute(
  { role: 'practitioner', params: appointmentIdParams, body: appointmentMessageSchema, successStatus: 201 },
  ({ callerId, params, body }, deps) =>
    sendFromAppointment(deps, { role: 'practitioner', practitionerId: callerId }, params.appointmentId, body),
);
