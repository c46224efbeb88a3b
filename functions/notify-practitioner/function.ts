import { MessageReceived, UntreatedDigestSent } from '../../events/index.ts';
import { eventFunction } from '../../shared/function-model/declaration.ts';

export const declaration = eventFunction({
  name: 'notify-practitioner',
  summary: 'Keeps the digest index exact, then the threshold digest or the every_message email',
  rule: { name: 'message-received-notify-practitioner', events: [MessageReceived] },
  access: {
    table: {
      // assistantContact, delegateGrant: the delegates who asked for the emails (ADR 0015).
      read: [
        'assistantContact',
        'delegateGrant',
        'digestDue',
        'notificationSlot',
        'practitionerCounters',
        'practitionerStats',
        'settings',
      ],
      write: ['digestDue', 'notificationSlot', 'practitionerCounters'],
      appendsAudit: true,
    },
    emits: [UntreatedDigestSent],
    sendsEmail: true,
  },
});
