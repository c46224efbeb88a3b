import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { writeAsPatient } from '../../shared/use-cases/patient-messaging.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(
  declaration,
  ({ callerId, params, body }, deps) =>
    writeAsPatient(deps, { role: 'patient', patientId: callerId }, params.threadId, body),
  { idempotency: idempotentWrites },
);
