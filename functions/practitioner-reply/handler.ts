import { replySchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';
import { replyAsPractitioner } from '../../shared/use-cases/practitioner-messaging.ts';

export const handler = httpRoute(
  { role: 'practitioner', params: threadIdParams, body: replySchema, successStatus: 201 },
  ({ callerId, params, body }, deps) =>
    replyAsPractitioner(deps, { role: 'practitioner', practitionerId: callerId }, params.threadId, body),
);
