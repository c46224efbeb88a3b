import { httpFunction } from '../../shared/function-model/declaration.ts';
import { exportIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'patient-get-export',
  summary: 'An export\u2019s status and, once ready, a download link valid 15 minutes',
  method: 'GET',
  path: '/v1/patient/exports/{exportId}',
  role: 'patient',
  params: exportIdParams,
  responses: { 200: 'exportStatus' },
  access: {
    table: { read: ['patientExport'], appendsAudit: true },
    exportFiles: ['read'],
  },
});
