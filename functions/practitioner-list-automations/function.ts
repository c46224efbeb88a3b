import { httpFunction } from '../../shared/function-model/declaration.ts';
import { listQuerySchema } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-list-automations',
  summary: 'List automations',
  method: 'GET',
  path: '/v1/practitioner/automations',
  role: 'practitioner',
  scope: 'settings',
  query: listQuerySchema,
  responses: { 200: 'automationList' },
  access: {
    table: { read: ['automation', 'delegateGrant'] },
  },
});
