import { httpRoute } from '../../shared/http/route.ts';
import { treatThread } from '../../shared/use-cases/practitioner-messaging.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, params, body }, deps) =>
  treatThread(deps, { role: 'practitioner', practitionerId: callerId }, params.threadId, body),
);
