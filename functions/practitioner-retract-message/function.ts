import { MessageRetracted } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { threadMessageParams } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-retract-message',
  summary: 'Retract a message the patient has not read',
  method: 'DELETE',
  path: '/v1/practitioner/threads/{threadId}/messages/{messageId}',
  role: 'practitioner',
  scope: 'inbox',
  params: threadMessageParams,
  responses: { 200: 'retractedMessage' },
  access: {
    table: {
      read: ['delegateGrant', 'message', 'thread'],
      write: ['counterReconcile', 'message', 'patientCounters', 'practitionerCounters', 'thread'],
      appendsAudit: true,
    },
    emits: [MessageRetracted],
  },
});
