import { listQuerySchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';
import { threadAuditTrail } from '../../shared/use-cases/audit.ts';

/** GET /v1/practitioner/threads/{threadId}/audit — the thread's audit trail, oldest first; 404 if not theirs. */
export const handler = httpRoute(
  { role: 'practitioner', params: threadIdParams, query: listQuerySchema },
  ({ callerId, params, query }, deps) =>
    threadAuditTrail(deps, { role: 'practitioner', practitionerId: callerId }, params.threadId, query),
);
