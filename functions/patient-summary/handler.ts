import { httpRoute } from '../../shared/http/route.ts';
import { patientSummary } from '../../shared/use-cases/patient-messaging.ts';

export const handler = httpRoute({ role: 'patient' }, ({ callerId }, deps) =>
  patientSummary(deps, { role: 'patient', patientId: callerId }),
);
