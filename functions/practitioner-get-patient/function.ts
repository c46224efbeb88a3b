import { httpFunction } from '../../shared/function-model/declaration.ts';
import { patientIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-get-patient',
  summary: 'Read a patient record (with blocked / allowed)',
  method: 'GET',
  path: '/v1/practitioner/patients/{patientId}',
  role: 'practitioner',
  scope: 'patients',
  params: patientIdParams,
  responses: { 200: 'patientRecord' },
  access: {
    table: { read: ['delegateGrant', 'patientRecord'], appendsAudit: true },
  },
});
