import { httpRoute } from '../../shared/http/route.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';
import { archivePractitionerThread } from '../../shared/use-cases/practitioner-controls.ts';

/** DELETE /v1/practitioner/threads/{threadId} — archives a closed thread; 200 with the thread. */
export const handler = httpRoute(
  { role: 'practitioner', params: threadIdParams },
  ({ callerId, params }, deps) =>
    archivePractitionerThread(deps, { role: 'practitioner', practitionerId: callerId }, params.threadId),
);
