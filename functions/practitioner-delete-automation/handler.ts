import { httpRoute } from '../../shared/http/route.ts';
import { automationRepository } from '../../shared/runtime/optional-repositories.ts';
import { deleteAutomation } from '../../shared/use-cases/automations.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(
  declaration,
  async ({ callerId, params }, deps) => {
    await deleteAutomation(deps, { role: 'practitioner', practitionerId: callerId }, params.automationId);
    return undefined;
  },
  { repositories: automationRepository },
);
