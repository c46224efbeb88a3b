import { templateIdParams } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { getTemplate } from '../../shared/use-cases/templates.ts';

export const handler = httpRoute(
  { role: 'practitioner', params: templateIdParams },
  ({ callerId, params }, deps) =>
    getTemplate(deps, { role: 'practitioner', practitionerId: callerId }, params.templateId),
);
