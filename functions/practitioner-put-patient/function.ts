import { httpFunction } from '../../shared/function-model/declaration.ts';
import { patientRecordSchema } from '../../shared/http/practitioner-schemas.ts';
import { responses } from '../../shared/http/response-schemas.ts';
import { patientIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-put-patient',
  summary: 'Create or replace a patient record',
  method: 'PUT',
  path: '/v1/practitioner/patients/{patientId}',
  role: 'practitioner',
  params: patientIdParams,
  body: patientRecordSchema,
  responses: { 200: responses.patientRecord, 201: responses.patientRecord },
  auditAs: 'patient.saved',
  access: {
    table: { read: ['patientRecord'], write: ['patientRecord', 'patientRecordRef'], appendsAudit: true },
  },
});
