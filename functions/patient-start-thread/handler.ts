import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { startPatientRequest } from '../../shared/use-cases/patient-messaging.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(
  declaration,
  ({ callerId, body }, deps) => startPatientRequest(deps, { role: 'patient', patientId: callerId }, body),
  { idempotency: idempotentWrites },
);
