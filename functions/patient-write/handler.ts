import { idempotentWrites } from '../../shared/http/idempotency.ts';
import { patientWriteSchema } from '../../shared/http/patient-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';
import { writeAsPatient } from '../../shared/use-cases/patient-messaging.ts';

export const handler = httpRoute(
  {
    role: 'patient',
    params: threadIdParams,
    body: patientWriteSchema,
    successStatus: 201,
    idempotency: idempotentWrites,
  },
  ({ callerId, params, body }, deps) =>
    writeAsPatient(deps, { role: 'patient', patientId: callerId }, params.threadId, body),
);
