import { httpRoute } from '../../shared/http/route.ts';
import { replaceTemplate } from '../../shared/use-cases/templates.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, params, body }, deps) =>
  replaceTemplate(deps, { role: 'practitioner', practitionerId: callerId }, params.templateId, body),
);
