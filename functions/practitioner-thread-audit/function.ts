import { httpFunction } from '../../shared/function-model/declaration.ts';
import { listQuerySchema } from '../../shared/http/practitioner-schemas.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-thread-audit',
  summary: "A thread's audit trail, oldest first",
  method: 'GET',
  path: '/v1/practitioner/threads/{threadId}/audit',
  role: 'practitioner',
  scope: 'inbox',
  params: threadIdParams,
  query: listQuerySchema,
  responses: { 200: 'auditTrail' },
  access: {
    table: { read: ['audit', 'delegateGrant', 'thread'], appendsAudit: true },
  },
});
