import { httpRoute } from '../../shared/http/route.ts';
import { automationRepository } from '../../shared/runtime/optional-repositories.ts';
import { listAutomations } from '../../shared/use-cases/automations.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(
  declaration,
  ({ callerId, query }, deps) =>
    listAutomations(deps, { role: 'practitioner', practitionerId: callerId }, query),
  { repositories: automationRepository },
);
