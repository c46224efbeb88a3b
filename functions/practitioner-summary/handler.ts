import { httpRoute } from '../../shared/http/route.ts';
import { practitionerSummary } from '../../shared/use-cases/practitioner-messaging.ts';

export const handler = httpRoute({ role: 'practitioner' }, ({ callerId }, deps) =>
  practitionerSummary(deps, { role: 'practitioner', practitionerId: callerId }),
);
