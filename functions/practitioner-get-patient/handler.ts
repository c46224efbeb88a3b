import { httpRoute } from '../../shared/http/route.ts';
import { patientIdParams } from '../../shared/http/schemas.ts';
import { getPatientRecord } from '../../shared/use-cases/practitioner-admin.ts';

export const handler = httpRoute(
  { role: 'practitioner', params: patientIdParams },
  ({ callerId, params }, deps) =>
    getPatientRecord(deps, { role: 'practitioner', practitionerId: callerId }, params.patientId),
);
