import { ThreadTreated } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { treatSchema } from '../../shared/http/practitioner-schemas.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-treat-thread',
  summary:
    'Mark a thread treated (closes it); 409 THREAD_CHANGED when a patient message is newer than lastSeenMessageId or the last read',
  method: 'POST',
  path: '/v1/practitioner/threads/{threadId}/treat',
  role: 'practitioner',
  scope: 'inbox',
  params: threadIdParams,
  body: treatSchema,
  responses: { 200: 'practitionerThreadOnly' },
  access: {
    table: {
      read: ['delegateGrant', 'message', 'thread'],
      write: [
        'counterReconcile',
        'patientCounters',
        'patientQuota',
        'patientRecord',
        'practitionerCounters',
        'thread',
      ],
      appendsAudit: true,
    },
    emits: [ThreadTreated],
  },
});
