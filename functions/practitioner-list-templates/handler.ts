import { httpRoute } from '../../shared/http/route.ts';
import { listTemplates } from '../../shared/use-cases/templates.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, query }, deps) =>
  listTemplates(deps, { role: 'practitioner', practitionerId: callerId }, query),
);
