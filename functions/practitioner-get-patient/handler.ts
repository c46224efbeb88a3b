import { httpRoute } from '../../shared/http/route.ts';
import { getPatientRecord } from '../../shared/use-cases/practitioner-admin.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, params }, deps) =>
  getPatientRecord(deps, { role: 'practitioner', practitionerId: callerId }, params.patientId),
);
