import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { startRequestSchema } from '../../shared/http/patient-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { startPatientRequest } from '../../shared/use-cases/patient-messaging.ts';

export const handler = httpRoute(
  { role: 'patient', body: startRequestSchema, successStatus: 201, idempotency: idempotentWrites },
  ({ callerId, body }, deps) => startPatientRequest(deps, { role: 'patient', patientId: callerId }, body),
);
