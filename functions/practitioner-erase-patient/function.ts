import { PatientErased } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { patientIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-erase-patient',
  summary: "Erase a patient's contact data (names, email) from the practitioner's record",
  method: 'POST',
  path: '/v1/practitioner/patients/{patientId}/erasure',
  role: 'practitioner',
  scope: 'patients',
  params: patientIdParams,
  responses: { 200: 'erasure' },
  auditAs: 'patient.erased',
  access: {
    table: { read: ['delegateGrant', 'patientRecord'], write: ['patientRecord'], appendsAudit: true },
    emits: [PatientErased],
  },
});
