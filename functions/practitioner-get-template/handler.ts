import { httpRoute } from '../../shared/http/route.ts';
import { getTemplate } from '../../shared/use-cases/templates.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, params }, deps) =>
  getTemplate(deps, { role: 'practitioner', practitionerId: callerId }, params.templateId),
);
