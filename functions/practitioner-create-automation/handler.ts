import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { automationSchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { createAutomation } from '../../shared/use-cases/automations.ts';

export const handler = httpRoute(
  {
    role: 'practitioner',
    body: automationSchema,
    successStatus: 201,
    idempotency: idempotentWrites,
    audit: 'automation.created',
  },
  ({ callerId, body }, deps) =>
    createAutomation(deps, { role: 'practitioner', practitionerId: callerId }, body),
);
