import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { createTemplate } from '../../shared/use-cases/templates.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(
  declaration,
  ({ callerId, body }, deps) =>
    createTemplate(deps, { role: 'practitioner', practitionerId: callerId }, body),
  { idempotency: idempotentWrites },
);
