import { httpRoute } from '../../shared/http/route.ts';
import { readAsPatient } from '../../shared/use-cases/patient-messaging.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, params }, deps) =>
  readAsPatient(deps, { role: 'patient', patientId: callerId }, params.threadId),
);
