import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { httpRoute, withStatus } from '../../shared/http/route.ts';
import { sendFromAppointment } from '../../shared/use-cases/appointments.ts';
import { scheduleFromAppointment } from '../../shared/use-cases/scheduled-messages.ts';
import { declaration } from './function.ts';

/** 201 {thread, message}; with `sendAt`, 202 with the scheduled message. */
export const handler = httpRoute(
  declaration,
  async ({ callerId, params, body }, deps) => {
    const actor = { role: 'practitioner', practitionerId: callerId } as const;
    const { sendAt, ...input } = body;
    if (sendAt !== undefined) {
      return withStatus(
        202,
        await scheduleFromAppointment(deps, actor, params.appointmentId, { ...input, sendAt }),
      );
    }
    return sendFromAppointment(deps, actor, params.appointmentId, input);
  },
  { idempotency: idempotentWrites },
);
