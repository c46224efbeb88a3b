import { httpRoute } from '../../shared/http/route.ts';
import { listPractitionerThreads } from '../../shared/use-cases/practitioner-messaging.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, query }, deps) =>
  listPractitionerThreads(deps, { role: 'practitioner', practitionerId: callerId }, query),
);
