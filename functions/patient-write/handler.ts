import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { withPatientIdentity } from '../../shared/use-cases/patient-contact.ts';
import { writeAsPatient } from '../../shared/use-cases/patient-messaging.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(
  declaration,
  ({ callerId, identity, params, body }, deps) =>
    withPatientIdentity(
      deps,
      callerId,
      identity,
      writeAsPatient(deps, { role: 'patient', patientId: callerId }, params.threadId, body),
    ),
  { idempotency: idempotentWrites },
);
