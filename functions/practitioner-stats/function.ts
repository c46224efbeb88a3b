import { httpFunction } from '../../shared/function-model/declaration.ts';
import { statsQuerySchema } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-stats',
  summary: 'Time to treat: requests received and treated, median and p90 hours, share within 48 h, backlog',
  method: 'GET',
  path: '/v1/practitioner/stats',
  role: 'practitioner',
  query: statsQuerySchema,
  responses: { 200: 'practitionerStats' },
  access: { table: { read: ['practitionerStats'] } },
});
