import { startThreadSchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { startPractitionerThread } from '../../shared/use-cases/practitioner-messaging.ts';

export const handler = httpRoute(
  { role: 'practitioner', body: startThreadSchema, successStatus: 201 },
  ({ callerId, body }, deps) =>
    startPractitionerThread(deps, { role: 'practitioner', practitionerId: callerId }, body),
);
