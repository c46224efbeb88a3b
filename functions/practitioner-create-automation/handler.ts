import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { automationRepository } from '../../shared/runtime/optional-repositories.ts';
import { createAutomation } from '../../shared/use-cases/automations.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(
  declaration,
  ({ callerId, body }, deps) =>
    createAutomation(deps, { role: 'practitioner', practitionerId: callerId }, body),
  { idempotency: idempotentWrites, repositories: automationRepository },
);
