import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { templateSchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { createTemplate } from '../../shared/use-cases/templates.ts';

export const handler = httpRoute(
  {
    role: 'practitioner',
    body: templateSchema,
    successStatus: 201,
    idempotency: idempotentWrites,
    audit: 'template.created',
  },
  ({ callerId, body }, deps) =>
    createTemplate(deps, { role: 'practitioner', practitionerId: callerId }, body),
);
