import { httpFunction } from '../../shared/function-model/declaration.ts';
import { scheduledMessagesQuerySchema } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-list-scheduled-messages',
  summary: 'List deferred messages',
  method: 'GET',
  path: '/v1/practitioner/scheduled-messages',
  role: 'practitioner',
  scope: 'inbox',
  query: scheduledMessagesQuerySchema,
  responses: { 200: 'scheduledMessageList' },
  access: {
    table: { read: ['delegateGrant', 'scheduledMessage'], indexes: ['gsi5'] },
  },
});
