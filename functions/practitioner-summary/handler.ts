import { httpRoute } from '../../shared/http/route.ts';
import { practitionerSummary } from '../../shared/use-cases/practitioner-messaging.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId }, deps) =>
  practitionerSummary(deps, { role: 'practitioner', practitionerId: callerId }),
);
