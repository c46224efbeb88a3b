import { CommunicationRequested } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { communicationSchema } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-create-communication',
  summary: 'Send a group communication (asynchronous)',
  method: 'POST',
  path: '/v1/practitioner/communications',
  role: 'practitioner',
  scope: 'inbox',
  body: communicationSchema,
  responses: { 202: 'communication' },
  idempotent: true,
  auditAs: 'communication.created',
  limitedBy: ['communicationsPerPractitionerPerDay', 'communicationRecipientsPerPractitionerPerDay'],
  access: {
    table: {
      // practitionerQuota: a ConditionCheck that today's recipients window is not used up.
      // attachment: its attachmentIds read, then taken in the creating transaction (ADR 0016).
      read: ['attachment', 'delegateGrant', 'practitionerQuota', 'settings', 'template'],
      write: ['attachment', 'communication', 'communicationContent', 'dueWork', 'practitionerQuota'],
      appendsAudit: true,
    },
    emits: [CommunicationRequested],
  },
});
