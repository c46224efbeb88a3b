import { httpFunction } from '../../shared/function-model/declaration.ts';
import { inboxQuerySchema } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-list-threads',
  summary: 'Inbox, newest activity first',
  method: 'GET',
  path: '/v1/practitioner/threads',
  role: 'practitioner',
  scope: 'inbox',
  query: inboxQuerySchema,
  responses: { 200: 'practitionerThreadList' },
  access: {
    table: { read: ['delegateGrant', 'thread'], indexes: ['gsi1', 'gsi2', 'gsi3', 'gsi7'] },
  },
});
