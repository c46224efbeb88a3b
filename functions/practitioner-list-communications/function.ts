import { httpFunction } from '../../shared/function-model/declaration.ts';
import { listQuerySchema } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-list-communications',
  summary: 'List group communications',
  method: 'GET',
  path: '/v1/practitioner/communications',
  role: 'practitioner',
  scope: 'inbox',
  query: listQuerySchema,
  responses: { 200: 'communicationList' },
  access: {
    table: { read: ['communication', 'delegateGrant'] },
  },
});
