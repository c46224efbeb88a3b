import { PatientDisallowed } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { patientIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-disallow-patient',
  summary: 'Disallow a patient from starting requests',
  method: 'DELETE',
  path: '/v1/practitioner/patients/{patientId}/allow',
  role: 'practitioner',
  scope: 'patients',
  params: patientIdParams,
  responses: { 200: 'patientRecord' },
  auditAs: 'patient.disallowed',
  access: {
    table: { read: ['delegateGrant', 'patientRecord'], write: ['patientRecord'], appendsAudit: true },
    emits: [PatientDisallowed],
  },
});
