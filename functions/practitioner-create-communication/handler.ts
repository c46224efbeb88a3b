import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { communicationRepository } from '../../shared/runtime/optional-repositories.ts';
import { createCommunication } from '../../shared/use-cases/communications.ts';
import { declaration } from './function.ts';

/**
 * 202: stored and queued; the fan-out runs asynchronously (GET /communications/{id} for its progress).
 * With an Idempotency-Key, a retried POST answers the first communication instead of sending a second one.
 */
export const handler = httpRoute(
  declaration,
  ({ callerId, body }, deps) =>
    createCommunication(deps, { role: 'practitioner', practitionerId: callerId }, body),
  { idempotency: idempotentWrites, repositories: communicationRepository },
);
