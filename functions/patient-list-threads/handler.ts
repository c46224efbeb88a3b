import { httpRoute } from '../../shared/http/route.ts';
import { listPatientThreads } from '../../shared/use-cases/patient-messaging.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, query }, deps) =>
  listPatientThreads(deps, { role: 'patient', patientId: callerId }, query),
);
