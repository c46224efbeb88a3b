import { PatientErased } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';

export const declaration = httpFunction({
  name: 'patient-erase-self',
  summary: "Erase the patient's contact data everywhere, and their exports",
  method: 'POST',
  path: '/v1/patient/erasure',
  role: 'patient',
  responses: { 200: 'erasure' },
  access: {
    table: {
      read: ['patientRecordRef', 'patientRecord', 'patientExport', 'patientErasure'],
      write: ['patientRecord', 'patientExport', 'patientErasure', 'patientContact'],
      appendsAudit: true,
    },
    emits: [PatientErased],
    exportFiles: ['delete'],
  },
});
