import { httpRoute } from '../../shared/http/route.ts';
import { getPatientThread } from '../../shared/use-cases/patient-messaging.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, params, query }, deps) =>
  getPatientThread(deps, { role: 'patient', patientId: callerId }, params.threadId, query),
);
