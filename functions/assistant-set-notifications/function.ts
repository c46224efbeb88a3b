import { httpFunction } from '../../shared/function-model/declaration.ts';
import { delegateNotificationsSchema, practitionerIdParams } from '../../shared/http/team-schemas.ts';

/**
 * The assistant's own preference (ADR 0015): the practitioner's digest and instant
 * emails, at the address of the assistant's own verified token (recorded here).
 */
export const declaration = httpFunction({
  name: 'assistant-set-notifications',
  summary: "Ask for (or stop) a practitioner's inbox emails; they go to the verified email of your own token",
  method: 'PUT',
  path: '/v1/assistant/practitioners/{practitionerId}/notifications',
  role: 'assistant',
  params: practitionerIdParams,
  body: delegateNotificationsSchema,
  responses: { 200: 'delegateNotifications' },
  access: {
    table: {
      read: ['assistantContact', 'delegateGrant'],
      write: ['assistantContact', 'assistantGrant', 'delegateGrant'],
    },
  },
});
