import { ThreadArchived } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-archive-thread',
  summary: 'Archive a closed thread',
  method: 'DELETE',
  path: '/v1/practitioner/threads/{threadId}',
  role: 'practitioner',
  scope: 'inbox',
  params: threadIdParams,
  responses: { 200: 'practitionerThreadOnly' },
  access: {
    table: {
      read: ['delegateGrant', 'thread'],
      write: ['counterReconcile', 'patientCounters', 'practitionerCounters', 'thread'],
      appendsAudit: true,
    },
    emits: [ThreadArchived],
  },
});
