import { httpRoute } from '../../shared/http/route.ts';
import { communicationRepository } from '../../shared/runtime/optional-repositories.ts';
import { listCommunications } from '../../shared/use-cases/communications.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(
  declaration,
  ({ callerId, query }, deps) =>
    listCommunications(deps, { role: 'practitioner', practitionerId: callerId }, query),
  { repositories: communicationRepository },
);
