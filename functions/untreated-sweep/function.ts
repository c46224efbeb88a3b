import { PatientNotified, UntreatedDigestSent } from '../../events/index.ts';
import { scheduledFunction } from '../../shared/function-model/declaration.ts';

export const declaration = scheduledFunction({
  name: 'untreated-sweep',
  summary:
    'The weekly untreated digest and every_message summaries that are due, and patient emails whose claim outlived its lease',
  schedule: { name: 'untreated-sweep', everyMinutes: 60 },
  access: {
    table: {
      read: [
        // The delegates who asked for the practitioner's emails (ADR 0015).
        'assistantContact',
        'delegateGrant',
        'digestDue',
        'message',
        'notificationSlot',
        'patientContact',
        'patientNotification',
        'practitionerCounters',
        'practitionerStats',
        'settings',
        'thread',
      ],
      write: ['digestDue', 'notificationSlot', 'patientNotification', 'practitionerCounters'],
      // gsi6: the digest and summary queues; gsi5: patient-email claims and the legacy queues it drains.
      indexes: ['gsi5', 'gsi6'],
      appendsAudit: true,
    },
    emits: [PatientNotified, UntreatedDigestSent],
    sendsEmail: true,
  },
});
