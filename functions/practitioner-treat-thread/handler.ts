import { treatSchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';
import { treatThread } from '../../shared/use-cases/practitioner-messaging.ts';

export const handler = httpRoute(
  { role: 'practitioner', params: threadIdParams, body: treatSchema },
  ({ callerId, params, body }, deps) =>
    treatThread(deps, { role: 'practitioner', practitionerId: callerId }, params.threadId, body),
);
