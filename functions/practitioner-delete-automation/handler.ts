import { automationIdParams } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { deleteAutomation } from '../../shared/use-cases/automations.ts';

export const handler = httpRoute(
  { role: 'practitioner', params: automationIdParams, successStatus: 204, audit: 'automation.deleted' },
  async ({ callerId, params }, deps) => {
    await deleteAutomation(deps, { role: 'practitioner', practitionerId: callerId }, params.automationId);
    return undefined;
  },
);
