import { listQuerySchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { listAutomations } from '../../shared/use-cases/automations.ts';

export const handler = httpRoute(
  { role: 'practitioner', query: listQuerySchema },
  ({ callerId, query }, deps) =>
    listAutomations(deps, { role: 'practitioner', practitionerId: callerId }, query),
);
