import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { httpRoute, withStatus } from '../../shared/http/route.ts';
import { startPractitionerThread } from '../../shared/use-cases/practitioner-messaging.ts';
import { scheduleNewThread } from '../../shared/use-cases/scheduled-messages.ts';
import { declaration } from './function.ts';

/** 201 {thread, message}; with `sendAt`, 202 with the scheduled message (nothing reaches the patient yet). */
export const handler = httpRoute(
  declaration,
  async ({ callerId, body }, deps) => {
    const actor = { role: 'practitioner', practitionerId: callerId } as const;
    const { sendAt, ...input } = body;
    if (sendAt !== undefined)
      return withStatus(202, await scheduleNewThread(deps, actor, { ...input, sendAt }));
    return startPractitionerThread(deps, actor, input);
  },
  { idempotency: idempotentWrites },
);
