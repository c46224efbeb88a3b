import { httpFunction } from '../../shared/function-model/declaration.ts';
import { threadIdParams, threadPageQuerySchema } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'patient-get-thread',
  summary:
    'A page of a thread: its newest messages (oldest first), whether I may reply, and nextCursor to older ones',
  method: 'GET',
  path: '/v1/patient/threads/{threadId}',
  role: 'patient',
  params: threadIdParams,
  query: threadPageQuerySchema,
  responses: { 200: 'patientThreadWithMessages' },
  access: {
    table: { read: ['message', 'patientRecord', 'settings', 'thread'] },
  },
});
