import { httpRoute } from '../../shared/http/route.ts';
import { withPatientIdentity } from '../../shared/use-cases/patient-contact.ts';
import { readAsPatient } from '../../shared/use-cases/patient-messaging.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, identity, params }, deps) =>
  withPatientIdentity(
    deps,
    callerId,
    identity,
    readAsPatient(deps, { role: 'patient', patientId: callerId }, params.threadId),
  ),
);
