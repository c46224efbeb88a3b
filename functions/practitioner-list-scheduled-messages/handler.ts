import { scheduledMessagesQuerySchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { listScheduledMessages } from '../../shared/use-cases/scheduled-messages.ts';

export const handler = httpRoute(
  { role: 'practitioner', query: scheduledMessagesQuerySchema },
  ({ callerId, query }, deps) =>
    listScheduledMessages(deps, { role: 'practitioner', practitionerId: callerId }, query),
);
