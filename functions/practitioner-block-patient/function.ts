import { PatientBlocked } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { patientIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-block-patient',
  summary: 'Block a patient from messaging',
  method: 'PUT',
  path: '/v1/practitioner/patients/{patientId}/block',
  role: 'practitioner',
  scope: 'patients',
  params: patientIdParams,
  responses: { 200: 'patientRecord' },
  auditAs: 'patient.blocked',
  access: {
    table: { read: ['delegateGrant', 'patientRecord'], write: ['patientRecord'], appendsAudit: true },
    emits: [PatientBlocked],
  },
});
