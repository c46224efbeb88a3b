import { httpRoute } from '../../shared/http/route.ts';
import { previewTemplate } from '../../shared/use-cases/templates.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, params, body }, deps) =>
  previewTemplate(deps, { role: 'practitioner', practitionerId: callerId }, params.templateId, body),
);
