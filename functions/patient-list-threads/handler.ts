import { patientInboxQuerySchema } from '../../shared/http/patient-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { listPatientThreads } from '../../shared/use-cases/patient-messaging.ts';

export const handler = httpRoute(
  { role: 'patient', query: patientInboxQuerySchema },
  ({ callerId, query }, deps) => listPatientThreads(deps, { role: 'patient', patientId: callerId }, query),
);
