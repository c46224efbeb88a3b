import { httpFunction } from '../../shared/function-model/declaration.ts';
import { responses } from '../../shared/http/response-schemas.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'patient-get-thread',
  summary: 'A thread with its messages (and whether I may reply)',
  method: 'GET',
  path: '/v1/patient/threads/{threadId}',
  role: 'patient',
  params: threadIdParams,
  responses: { 200: responses.patientThreadWithMessages },
  access: {
    table: { read: ['message', 'patientRecord', 'settings', 'thread'] },
  },
});
