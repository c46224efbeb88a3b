import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { httpRoute, withStatus } from '../../shared/http/route.ts';
import { replyAsPractitioner } from '../../shared/use-cases/practitioner-messaging.ts';
import { scheduleReply } from '../../shared/use-cases/scheduled-messages.ts';
import { declaration } from './function.ts';

/** 201 {thread, message}; with `sendAt`, 202 with the scheduled reply (the thread is unchanged until then). */
export const handler = httpRoute(
  declaration,
  async ({ callerId, params, body }, deps) => {
    const actor = { role: 'practitioner', practitionerId: callerId } as const;
    const { sendAt, markTreated: _markTreated, ...content } = body;
    if (sendAt !== undefined) {
      return withStatus(202, await scheduleReply(deps, actor, params.threadId, { ...content, sendAt }));
    }
    return replyAsPractitioner(deps, actor, params.threadId, body);
  },
  { idempotency: idempotentWrites },
);
