import { httpRoute } from '../../shared/http/route.ts';
import { communicationRepository } from '../../shared/runtime/optional-repositories.ts';
import { getCommunication } from '../../shared/use-cases/communications.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(
  declaration,
  ({ callerId, params }, deps) =>
    getCommunication(deps, { role: 'practitioner', practitionerId: callerId }, params.communicationId),
  { repositories: communicationRepository },
);
