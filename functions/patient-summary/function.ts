import { httpFunction } from '../../shared/function-model/declaration.ts';

export const declaration = httpFunction({
  name: 'patient-summary',
  summary: 'Unread messages count',
  method: 'GET',
  path: '/v1/patient/summary',
  role: 'patient',
  responses: { 200: 'patientSummary' },
  access: {
    table: { read: ['patientCounters'] },
  },
});
