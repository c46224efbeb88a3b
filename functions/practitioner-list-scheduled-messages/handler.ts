import { httpRoute } from '../../shared/http/route.ts';
import { listScheduledMessages } from '../../shared/use-cases/scheduled-messages.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, query }, deps) =>
  listScheduledMessages(deps, { role: 'practitioner', practitionerId: callerId }, query),
);
