import { UntreatedDigestSent } from '../../events/index.ts';
import { scheduledFunction } from '../../shared/function-model/declaration.ts';

export const declaration = scheduledFunction({
  name: 'untreated-sweep',
  summary: 'The weekly untreated digest and pending every_message summaries that are due',
  schedule: { name: 'untreated-sweep', everyMinutes: 60 },
  access: {
    table: {
      read: ['notificationSlot', 'practitionerCounters', 'settings'],
      write: ['notificationSlot', 'practitionerCounters'],
      indexes: ['gsi5'],
      appendsAudit: true,
    },
    emits: [UntreatedDigestSent],
    sendsEmail: true,
  },
});
