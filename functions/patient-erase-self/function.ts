import { AttachmentRemoved, PatientErased } from '../../events/index.ts';
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
      // attachment: read before deleting, to leave a group communication's shared file alone (ADR 0016).
      read: [
        'attachment',
        'patientRecordRef',
        'patientRecord',
        'patientExport',
        'patientErasure',
        'thread',
        'message',
      ],
      write: ['patientRecord', 'patientExport', 'patientErasure', 'patientContact', 'attachment'],
      indexes: ['gsi4'],
      appendsAudit: true,
    },
    emits: [AttachmentRemoved, PatientErased],
    exportFiles: ['delete'],
  },
});
