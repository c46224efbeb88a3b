import { httpRoute } from '../../shared/http/route.ts';
import { threadAuditTrail } from '../../shared/use-cases/audit.ts';
import { declaration } from './function.ts';

/** GET /v1/practitioner/threads/{threadId}/audit — the thread's audit trail, oldest first; 404 if not theirs. */
export const handler = httpRoute(declaration, ({ callerId, params, query }, deps) =>
  threadAuditTrail(deps, { role: 'practitioner', practitionerId: callerId }, params.threadId, query),
);
