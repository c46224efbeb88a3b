import { scheduledMessageIdParams } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { cancelScheduledMessage } from '../../shared/use-cases/scheduled-messages.ts';

/** 204 once cancelled (again: 204); 409 when it has already gone (sent, refused or failed). */
export const handler = httpRoute(
  {
    role: 'practitioner',
    params: scheduledMessageIdParams,
    successStatus: 204,
    audit: 'scheduledMessage.cancelled',
  },
  async ({ callerId, params }, deps) => {
    await cancelScheduledMessage(
      deps,
      { role: 'practitioner', practitionerId: callerId },
      params.scheduledMessageId,
    );
    return undefined;
  },
);
