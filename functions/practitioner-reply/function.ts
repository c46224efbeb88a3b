import { MessageScheduled, MessageSent, ThreadTreated } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { replySchema } from '../../shared/http/practitioner-schemas.ts';
import { threadIdParams } from '../../shared/http/schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-reply',
  summary:
    'Reply (optionally marking the thread treated: 409 THREAD_CHANGED over an unseen patient message; with sendAt: schedule it)',
  method: 'POST',
  path: '/v1/practitioner/threads/{threadId}/messages',
  role: 'practitioner',
  scope: 'inbox',
  params: threadIdParams,
  body: replySchema,
  responses: { 201: 'practitionerMessageCreated', 202: 'scheduledMessage' },
  idempotent: true,
  // With `sendAt`: one more pending scheduled message (ADR 0011).
  limitedBy: ['pendingScheduledMessagesPerPractitioner'],
  access: {
    table: {
      read: [
        'appointment',
        'attachment',
        'delegateGrant',
        'message',
        'patientRecord',
        'settings',
        'template',
        'thread',
      ],
      write: [
        'attachment',
        'counterReconcile',
        'dueWork',
        'message',
        'patientCounters',
        'patientQuota',
        'patientRecord',
        'practitionerCounters',
        'practitionerQuota',
        'scheduledMessage',
        'thread',
      ],
      appendsAudit: true,
    },
    emits: [MessageScheduled, MessageSent, ThreadTreated],
  },
});
