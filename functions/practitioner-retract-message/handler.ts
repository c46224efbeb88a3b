import { httpRoute } from '../../shared/http/route.ts';
import { retractMessage } from '../../shared/use-cases/practitioner-controls.ts';
import { declaration } from './function.ts';

/** DELETE /v1/practitioner/threads/{threadId}/messages/{messageId} — 200 with the tombstone. */
export const handler = httpRoute(declaration, ({ callerId, params }, deps) =>
  retractMessage(deps, { role: 'practitioner', practitionerId: callerId }, params.threadId, params.messageId),
);
