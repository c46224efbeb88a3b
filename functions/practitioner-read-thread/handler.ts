import { httpRoute } from '../../shared/http/route.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';
import { readAsPractitioner } from '../../shared/use-cases/practitioner-messaging.ts';

export const handler = httpRoute(
  { role: 'practitioner', params: threadIdParams },
  ({ callerId, params }, deps) =>
    readAsPractitioner(deps, { role: 'practitioner', practitionerId: callerId }, params.threadId),
);
