import { httpRoute } from '../../shared/http/route.ts';
import { cancelScheduledMessage } from '../../shared/use-cases/scheduled-messages.ts';
import { declaration } from './function.ts';

/** 204 once cancelled (again: 204); 409 when it has already gone (sent, refused or failed). */
export const handler = httpRoute(declaration, async ({ callerId, params }, deps) => {
  await cancelScheduledMessage(
    deps,
    { role: 'practitioner', practitionerId: callerId },
    params.scheduledMessageId,
  );
  return undefined;
});
