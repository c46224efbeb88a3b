import { inboxQuerySchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { listPractitionerThreads } from '../../shared/use-cases/practitioner-messaging.ts';

export const handler = httpRoute(
  { role: 'practitioner', query: inboxQuerySchema },
  ({ callerId, query }, deps) =>
    listPractitionerThreads(deps, { role: 'practitioner', practitionerId: callerId }, query),
);
