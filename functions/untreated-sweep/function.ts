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
        'message',
        'notificationSlot',
        'patientNotification',
        'patientRecord',
        'practitionerCounters',
        'settings',
        'thread',
      ],
      write: ['notificationSlot', 'patientNotification', 'practitionerCounters'],
      indexes: ['gsi5'],
      appendsAudit: true,
    },
    emits: [PatientNotified, UntreatedDigestSent],
    sendsEmail: true,
  },
});
