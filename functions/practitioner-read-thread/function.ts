import { MessagesRead } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-read-thread',
  summary: 'Mark a thread read by the practitioner',
  method: 'POST',
  path: '/v1/practitioner/threads/{threadId}/read',
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
    emits: [MessagesRead],
  },
});
