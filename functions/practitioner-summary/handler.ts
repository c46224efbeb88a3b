import { httpRoute } from '../../shared/http/route.ts';
import { practitionerSummary } from '../../shared/use-cases/practitioner-messaging.ts';
import { declaration } from './function.ts';

/** An assistant also gets `assignedToMe` (triage, SPEC 11.2). */
export const handler = httpRoute(declaration, ({ callerId, assistant }, deps) =>
  practitionerSummary(deps, { role: 'practitioner', practitionerId: callerId }, assistant?.id),
);
