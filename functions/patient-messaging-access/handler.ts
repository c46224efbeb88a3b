import { httpRoute } from '../../shared/http/route.ts';
import { getMessagingAccess } from '../../shared/use-cases/messaging-access.ts';
import { declaration } from './function.ts';

/** GET /v1/patient/practitioners/{practitionerId}/messaging — canStartRequest, reason, message. */
export const handler = httpRoute(declaration, ({ callerId, params }, deps) =>
  getMessagingAccess(deps, { role: 'patient', patientId: callerId }, params.practitionerId),
);
