import { ExportRequested } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';

export const declaration = httpFunction({
  name: 'patient-request-export',
  summary: 'Ask for an export of all the patient\u2019s threads, messages and notifications',
  method: 'POST',
  path: '/v1/patient/exports',
  role: 'patient',
  responses: { 202: 'exportRequested' },
  idempotent: true,
  access: {
    table: { write: ['patientExport'], appendsAudit: true },
    emits: [ExportRequested],
  },
});
