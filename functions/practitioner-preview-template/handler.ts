import { templateIdParams, templatePreviewSchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { previewTemplate } from '../../shared/use-cases/templates.ts';

export const handler = httpRoute(
  { role: 'practitioner', params: templateIdParams, body: templatePreviewSchema },
  ({ callerId, params, body }, deps) =>
    previewTemplate(deps, { role: 'practitioner', practitionerId: callerId }, params.templateId, body),
);
