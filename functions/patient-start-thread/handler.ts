import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { withPatientIdentity } from '../../shared/use-cases/patient-contact.ts';
import { startPatientRequest } from '../../shared/use-cases/patient-messaging.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(
  declaration,
  ({ callerId, identity, body }, deps) =>
    withPatientIdentity(
      deps,
      callerId,
      identity,
      startPatientRequest(deps, { role: 'patient', patientId: callerId }, body),
    ),
  { idempotency: idempotentWrites },
);
