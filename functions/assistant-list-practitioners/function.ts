import { httpFunction } from '../../shared/function-model/declaration.ts';
import { listQuerySchema } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'assistant-list-practitioners',
  summary: 'List the practitioners the assistant works for, with the scopes each granted',
  method: 'GET',
  path: '/v1/assistant/practitioners',
  role: 'assistant',
  query: listQuerySchema,
  responses: { 200: 'assistantPractitionerList' },
  access: { table: { read: ['assistantGrant'] } },
});
