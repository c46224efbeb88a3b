import { httpFunction } from '../../shared/function-model/declaration.ts';
import { patientRecordSchema } from '../../shared/http/practitioner-schemas.ts';
import { patientIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-put-patient',
  summary: 'Create or replace a patient record',
  method: 'PUT',
  path: '/v1/practitioner/patients/{patientId}',
  role: 'practitioner',
  scope: 'patients',
  params: patientIdParams,
  body: patientRecordSchema,
  responses: { 200: 'patientRecord', 201: 'patientRecord' },
  auditAs: 'patient.saved',
  access: {
    table: {
      read: ['delegateGrant', 'patientRecord'],
      write: ['patientRecord', 'patientRecordRef'],
      appendsAudit: true,
    },
  },
});
