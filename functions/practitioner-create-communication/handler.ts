import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { communicationSchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { createCommunication } from '../../shared/use-cases/communications.ts';

/**
 * 202: stored and queued; the fan-out runs asynchronously (GET /communications/{id} for its progress).
 * With an Idempotency-Key, a retried POST answers the first communication instead of sending a second one.
 */
export const handler = httpRoute(
  {
    role: 'practitioner',
    body: communicationSchema,
    successStatus: 202,
    idempotency: idempotentWrites,
    audit: 'communication.created',
  },
  ({ callerId, body }, deps) =>
    createCommunication(deps, { role: 'practitioner', practitionerId: callerId }, body),
);
