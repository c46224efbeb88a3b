import { templateIdParams } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { deleteTemplate } from '../../shared/use-cases/templates.ts';

export const handler = httpRoute(
  { role: 'practitioner', params: templateIdParams, successStatus: 204, audit: 'template.deleted' },
  async ({ callerId, params }, deps) => {
    await deleteTemplate(deps, { role: 'practitioner', practitionerId: callerId }, params.templateId);
    return undefined;
  },
);
