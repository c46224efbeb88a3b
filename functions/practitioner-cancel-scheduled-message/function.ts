import { ScheduledMessageCancelled } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { scheduledMessageIdParams } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-cancel-scheduled-message',
  summary: 'Cancel a deferred message',
  method: 'DELETE',
  path: '/v1/practitioner/scheduled-messages/{scheduledMessageId}',
  role: 'practitioner',
  scope: 'inbox',
  params: scheduledMessageIdParams,
  responses: { 204: null },
  auditAs: 'scheduledMessage.cancelled',
  access: {
    table: {
      read: ['delegateGrant', 'scheduledMessage'],
      write: ['dueWork', 'practitionerQuota', 'scheduledMessage'],
      appendsAudit: true,
    },
    emits: [ScheduledMessageCancelled],
  },
});
