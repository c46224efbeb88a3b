import { listQuerySchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { listTemplates } from '../../shared/use-cases/templates.ts';

export const handler = httpRoute(
  { role: 'practitioner', query: listQuerySchema },
  ({ callerId, query }, deps) =>
    listTemplates(deps, { role: 'practitioner', practitionerId: callerId }, query),
);
