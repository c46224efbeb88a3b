import { httpFunction } from '../../shared/function-model/declaration.ts';
import { listQuerySchema } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-list-templates',
  summary: 'List templates',
  method: 'GET',
  path: '/v1/practitioner/templates',
  role: 'practitioner',
  scope: 'inbox',
  query: listQuerySchema,
  responses: { 200: 'templateList' },
  access: {
    table: { read: ['delegateGrant', 'template'] },
  },
});
