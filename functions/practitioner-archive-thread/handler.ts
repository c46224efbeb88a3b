import { httpRoute } from '../../shared/http/route.ts';
import { archivePractitionerThread } from '../../shared/use-cases/practitioner-controls.ts';
import { declaration } from './function.ts';

/** DELETE /v1/practitioner/threads/{threadId} — archives a closed thread; 200 with the thread. */
export const handler = httpRoute(declaration, ({ callerId, params }, deps) =>
  archivePractitionerThread(deps, { role: 'practitioner', practitionerId: callerId }, params.threadId),
);
