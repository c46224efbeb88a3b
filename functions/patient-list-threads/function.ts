import { httpFunction } from '../../shared/function-model/declaration.ts';
import { patientInboxQuerySchema } from '../../shared/http/patient-schemas.ts';

export const declaration = httpFunction({
  name: 'patient-list-threads',
  summary: 'My threads, newest activity first',
  method: 'GET',
  path: '/v1/patient/threads',
  role: 'patient',
  query: patientInboxQuerySchema,
  responses: { 200: 'patientThreadList' },
  access: {
    table: { read: ['thread', 'patientRecord', 'settings'], indexes: ['gsi4'] },
  },
});
