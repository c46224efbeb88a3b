import { PatientUnblocked } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { patientIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-unblock-patient',
  summary: 'Unblock a patient',
  method: 'DELETE',
  path: '/v1/practitioner/patients/{patientId}/block',
  role: 'practitioner',
  scope: 'patients',
  params: patientIdParams,
  responses: { 200: 'patientRecord' },
  auditAs: 'patient.unblocked',
  access: {
    table: { read: ['delegateGrant', 'patientRecord'], write: ['patientRecord'], appendsAudit: true },
    emits: [PatientUnblocked],
  },
});
