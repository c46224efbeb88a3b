import { httpRoute } from '../../shared/http/route.ts';
import { patientIdParams } from '../../shared/http/schemas.ts';
import { setPatientFlag } from '../../shared/use-cases/practitioner-controls.ts';

/** DELETE /v1/practitioner/patients/{patientId}/allow — idempotent; answers the record. */
export const handler = httpRoute(
  { role: 'practitioner', params: patientIdParams, audit: 'patient.disallowed' },
  ({ callerId, params }, deps) =>
    setPatientFlag(
      deps,
      { role: 'practitioner', practitionerId: callerId },
      params.patientId,
      'allowed',
      false,
    ),
);
