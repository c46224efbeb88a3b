import { httpFunction } from '../../shared/function-model/declaration.ts';
import { threadIdParams, threadPageQuerySchema } from '../../shared/http/schemas.ts';

/** Every practitioner read of a thread's content is audited (`thread.viewed`): read-only on threads, append-only on the audit trail. */
export const declaration = httpFunction({
  name: 'practitioner-get-thread',
  summary:
    'A page of a thread: its newest messages (oldest first), read receipts, and nextCursor to older ones',
  method: 'GET',
  path: '/v1/practitioner/threads/{threadId}',
  role: 'practitioner',
  scope: 'inbox',
  params: threadIdParams,
  query: threadPageQuerySchema,
  responses: { 200: 'practitionerThreadWithMessages' },
  access: {
    table: { read: ['delegateGrant', 'message', 'thread'], appendsAudit: true },
  },
});
