import * as z from 'zod';
import { httpRoute } from '../../shared/http/route.ts';
import { idSchema } from '../../shared/http/schemas.ts';
import { getMessagingAccess } from '../../shared/use-cases/messaging-access.ts';

const params = z.strictObject({ practitionerId: idSchema });

/** GET /v1/patient/practitioners/{practitionerId}/messaging — canStartRequest, reason, message. */
export const handler = httpRoute({ role: 'patient', params }, ({ callerId, params }, deps) =>
  getMessagingAccess(deps, { role: 'patient', patientId: callerId }, params.practitionerId),
);
