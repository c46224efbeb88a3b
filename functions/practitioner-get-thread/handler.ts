import { httpRoute } from '../../shared/http/route.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';
import { getPractitionerThread } from '../../shared/use-cases/practitioner-messaging.ts';

export const handler = httpRoute(
  { role: 'practitioner', params: threadIdParams },
  ({ callerId, params }, deps) =>
    getPractitionerThread(deps, { role: 'practitioner', practitionerId: callerId }, params.threadId),
);
