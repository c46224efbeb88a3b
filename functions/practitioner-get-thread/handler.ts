import { httpRoute } from '../../shared/http/route.ts';
import { threadIdParams, threadPageQuerySchema } from '../../shared/http/schemas.ts';
import { getPractitionerThread } from '../../shared/use-cases/practitioner-messaging.ts';

export const handler = httpRoute(
  { role: 'practitioner', params: threadIdParams, query: threadPageQuerySchema },
  ({ callerId, params, query }, deps) =>
    getPractitionerThread(deps, { role: 'practitioner', practitionerId: callerId }, params.threadId, query),
);
