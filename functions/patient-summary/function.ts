import { httpFunction } from '../../shared/function-model/declaration.ts';
import { responses } from '../../shared/http/response-schemas.ts';

export const declaration = httpFunction({
  name: 'patient-summary',
  summary: 'Unread messages count',
  method: 'GET',
  path: '/v1/patient/summary',
  role: 'patient',
  responses: { 200: responses.patientSummary },
  access: {
    table: { read: ['patientCounters'] },
  },
});
