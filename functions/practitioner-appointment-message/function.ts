import { MessageScheduled, MessageSent, ThreadStarted } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { appointmentIdParams, appointmentMessageSchema } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-appointment-message',
  summary: 'Send a message from the appointment window (with sendAt: schedule it)',
  method: 'POST',
  path: '/v1/practitioner/appointments/{appointmentId}/messages',
  role: 'practitioner',
  scope: 'inbox',
  params: appointmentIdParams,
  body: appointmentMessageSchema,
  responses: { 201: 'practitionerMessageCreated', 202: 'scheduledMessage' },
  idempotent: true,
  // With `sendAt`: one more pending scheduled message (ADR 0011).
  limitedBy: ['pendingScheduledMessagesPerPractitioner'],
  access: {
    table: {
      read: ['appointment', 'attachment', 'delegateGrant', 'patientRecord', 'settings', 'template'],
      write: [
        'attachment',
        'counterReconcile',
        'dueWork',
        'message',
        'patientCounters',
        'practitionerCounters',
        'practitionerQuota',
        'scheduledMessage',
        'thread',
      ],
      appendsAudit: true,
    },
    emits: [MessageScheduled, MessageSent, ThreadStarted],
  },
});
