import { PatientAllowed } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { patientIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-allow-patient',
  summary: 'Allow a patient to start requests',
  method: 'PUT',
  path: '/v1/practitioner/patients/{patientId}/allow',
  role: 'practitioner',
  scope: 'patients',
  params: patientIdParams,
  responses: { 200: 'patientRecord' },
  auditAs: 'patient.allowed',
  access: {
    table: { read: ['delegateGrant', 'patientRecord'], write: ['patientRecord'], appendsAudit: true },
    emits: [PatientAllowed],
  },
});
