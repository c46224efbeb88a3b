import { httpRoute } from '../../shared/http/route.ts';
import { deleteTemplate } from '../../shared/use-cases/templates.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, async ({ callerId, params }, deps) => {
  await deleteTemplate(deps, { role: 'practitioner', practitionerId: callerId }, params.templateId);
  return undefined;
});
