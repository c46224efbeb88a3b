import {
  CommunicationChunkRequested,
  CommunicationFinished,
  MessageSent,
  ScheduledMessageRefused,
  ThreadStarted,
} from '../../events/index.ts';
import { scheduledFunction } from '../../shared/function-model/declaration.ts';

export const declaration = scheduledFunction({
  name: 'due-work-sweep',
  summary:
    'Runs the deferred work that is due: delayed automations, deferred messages, the communication watchdog',
  schedule: { name: 'due-work', everyMinutes: 1 },
  access: {
    table: {
      read: [
        'appointment',
        'automation',
        'automationRun',
        'communication',
        'dueWork',
        'patientRecord',
        'scheduledMessage',
        'settings',
        'template',
        'thread',
      ],
      write: [
        'automationRun',
        'communication',
        'counterReconcile',
        'dueWork',
        'message',
        'patientCounters',
        'patientRecord',
        'practitionerCounters',
        'scheduledMessage',
        'thread',
      ],
      indexes: ['gsi5'],
      appendsAudit: true,
    },
    // Automations and deferred messages start threads and send messages; the watchdog hands a chunk on again
    // or gives a stalled fan-out up.
    emits: [
      CommunicationChunkRequested,
      CommunicationFinished,
      MessageSent,
      ScheduledMessageRefused,
      ThreadStarted,
    ],
  },
});
