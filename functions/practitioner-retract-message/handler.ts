import * as z from 'zod';
import { httpRoute } from '../../shared/http/route.ts';
import { idSchema } from '../../shared/http/schemas.ts';
import { retractMessage } from '../../shared/use-cases/practitioner-controls.ts';

const params = z.strictObject({ threadId: idSchema, messageId: idSchema });

/** DELETE /v1/practitioner/threads/{threadId}/messages/{messageId} — 200 with the tombstone. */
export const handler = httpRoute({ role: 'practitioner', params }, ({ callerId, params }, deps) =>
  retractMessage(deps, { role: 'practitioner', practitionerId: callerId }, params.threadId, params.messageId),
);
