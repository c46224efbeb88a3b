import { httpFunction } from '../../shared/function-model/declaration.ts';
import { responses } from '../../shared/http/response-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-get-settings',
  summary: 'Read the inbox settings',
  method: 'GET',
  path: '/v1/practitioner/settings',
  role: 'practitioner',
  responses: { 200: responses.settings },
  access: {
    table: { read: ['settings'] },
  },
});
