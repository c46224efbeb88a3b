import { templateIdParams, templateSchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { replaceTemplate } from '../../shared/use-cases/templates.ts';

export const handler = httpRoute(
  { role: 'practitioner', params: templateIdParams, body: templateSchema, audit: 'template.updated' },
  ({ callerId, params, body }, deps) =>
    replaceTemplate(deps, { role: 'practitioner', practitionerId: callerId }, params.templateId, body),
);
