import { httpRoute } from '../../shared/http/route.ts';
import { threadIdParams, threadPageQuerySchema } from '../../shared/http/schemas.ts';
import { getPatientThread } from '../../shared/use-cases/patient-messaging.ts';

export const handler = httpRoute(
  { role: 'patient', params: threadIdParams, query: threadPageQuerySchema },
  ({ callerId, params, query }, deps) =>
    getPatientThread(deps, { role: 'patient', patientId: callerId }, params.threadId, query),
);
