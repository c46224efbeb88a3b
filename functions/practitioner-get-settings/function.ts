import { httpFunction } from '../../shared/function-model/declaration.ts';

export const declaration = httpFunction({
  name: 'practitioner-get-settings',
  summary: 'Read the inbox settings',
  method: 'GET',
  path: '/v1/practitioner/settings',
  role: 'practitioner',
  scope: 'settings',
  responses: { 200: 'settings' },
  access: {
    table: { read: ['delegateGrant', 'settings'] },
  },
});
