import { httpFunction } from '../../shared/function-model/declaration.ts';
import { responses } from '../../shared/http/response-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-summary',
  summary: 'Sidebar counts: untreated messages, unread and open threads',
  method: 'GET',
  path: '/v1/practitioner/summary',
  role: 'practitioner',
  responses: { 200: responses.practitionerSummary },
  access: {
    table: { read: ['practitionerCounters'] },
  },
});
