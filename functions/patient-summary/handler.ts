import { httpRoute } from '../../shared/http/route.ts';
import { patientSummary } from '../../shared/use-cases/patient-messaging.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId }, deps) =>
  patientSummary(deps, { role: 'patient', patientId: callerId }),
);
