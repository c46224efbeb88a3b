import { httpFunction } from '../../shared/function-model/declaration.ts';
import { communicationIdParams } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-get-communication',
  summary: 'A group communication and its progress',
  method: 'GET',
  path: '/v1/practitioner/communications/{communicationId}',
  role: 'practitioner',
  scope: 'inbox',
  params: communicationIdParams,
  responses: { 200: 'communication' },
  access: {
    table: { read: ['communication', 'delegateGrant'] },
  },
});
