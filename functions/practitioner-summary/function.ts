import { httpFunction } from '../../shared/function-model/declaration.ts';

export const declaration = httpFunction({
  name: 'practitioner-summary',
  summary: 'Sidebar counts: untreated messages, unread and open threads',
  method: 'GET',
  path: '/v1/practitioner/summary',
  role: 'practitioner',
  scope: 'inbox',
  responses: { 200: 'practitionerSummary' },
  access: {
    table: { read: ['delegateGrant', 'practitionerCounters'], indexes: ['gsi7'] },
  },
});
