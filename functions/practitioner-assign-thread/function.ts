import { httpFunction } from '../../shared/function-model/declaration.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';
import { assigneeSchema } from '../../shared/http/team-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-assign-thread',
  summary:
    'Assign a thread to the practitioner or one of their current delegates, or to nobody (null): triage of the open inbox',
  method: 'PUT',
  path: '/v1/practitioner/threads/{threadId}/assignee',
  role: 'practitioner',
  scope: 'inbox',
  params: threadIdParams,
  body: assigneeSchema,
  responses: { 200: 'practitionerThreadOnly' },
  access: {
    table: { read: ['delegateGrant', 'thread'], write: ['thread'], appendsAudit: true },
  },
});
