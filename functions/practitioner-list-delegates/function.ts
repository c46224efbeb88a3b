import { httpFunction } from '../../shared/function-model/declaration.ts';
import { listQuerySchema } from '../../shared/http/practitioner-schemas.ts';

/** Practitioner only (no `scope`): an assistant never sees or changes the delegations. */
export const declaration = httpFunction({
  name: 'practitioner-list-delegates',
  summary: 'List the assistants the practitioner delegates to, with their scopes',
  method: 'GET',
  path: '/v1/practitioner/delegates',
  role: 'practitioner',
  query: listQuerySchema,
  responses: { 200: 'delegateList' },
  access: { table: { read: ['delegateGrant'] } },
});
