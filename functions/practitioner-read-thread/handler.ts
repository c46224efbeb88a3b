import { httpRoute } from '../../shared/http/route.ts';
import { readAsPractitioner } from '../../shared/use-cases/practitioner-messaging.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, params }, deps) =>
  readAsPractitioner(deps, { role: 'practitioner', practitionerId: callerId }, params.threadId),
);
