import { httpFunction } from '../../shared/function-model/declaration.ts';
import { patientInboxQuerySchema } from '../../shared/http/patient-schemas.ts';
import { responses } from '../../shared/http/response-schemas.ts';

export const declaration = httpFunction({
  name: 'patient-list-threads',
  summary: 'My threads, newest activity first',
  method: 'GET',
  path: '/v1/patient/threads',
  role: 'patient',
  query: patientInboxQuerySchema,
  responses: { 200: responses.patientThreadList },
  access: {
    table: { read: ['thread', 'patientRecord', 'settings'], indexes: ['gsi4'] },
  },
});
