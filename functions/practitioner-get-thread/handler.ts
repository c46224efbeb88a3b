import { httpRoute } from '../../shared/http/route.ts';
import { getPractitionerThread } from '../../shared/use-cases/practitioner-messaging.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, params, query }, deps) =>
  getPractitionerThread(deps, { role: 'practitioner', practitionerId: callerId }, params.threadId, query),
);
