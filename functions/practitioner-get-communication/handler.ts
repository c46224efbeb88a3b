import { communicationIdParams } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { getCommunication } from '../../shared/use-cases/communications.ts';

export const handler = httpRoute(
  { role: 'practitioner', params: communicationIdParams },
  ({ callerId, params }, deps) =>
    getCommunication(deps, { role: 'practitioner', practitionerId: callerId }, params.communicationId),
);
