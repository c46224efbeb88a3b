import { listQuerySchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { listCommunications } from '../../shared/use-cases/communications.ts';

export const handler = httpRoute(
  { role: 'practitioner', query: listQuerySchema },
  ({ callerId, query }, deps) =>
    listCommunications(deps, { role: 'practitioner', practitionerId: callerId }, query),
);
