import {
  AttachmentRemoved,
  CommunicationChunkRequested,
  CommunicationFinished,
  DueWorkShardRequested,
  MessageSent,
  ScheduledMessageRefused,
  ThreadStarted,
} from '../../events/index.ts';
import { DUE_WORK_DISPATCH } from '../../shared/domain/due-work.ts';
import { type FunctionAccess, scheduledFunction } from '../../shared/function-model/declaration.ts';

/**
 * What running due work touches, whoever runs it: this tick (a shard with few items due) or a
 * `due-work-worker` (a shard with more). Both run the same runners, so they need the same grants;
 * both hand shards on (DueWorkShardRequested).
 */
export const DUE_WORK_RUNNER_ACCESS: FunctionAccess = {
  table: {
    read: [
      'appointment',
      'attachment',
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
      'attachment',
      'automationRun',
      'communication',
      'counterReconcile',
      'dueWork',
      'message',
      'patientCounters',
      'patientRecord',
      'practitionerCounters',
      // A deferred message's end releases its pending count (ADR 0011).
      'practitionerQuota',
      'scheduledMessage',
      'thread',
    ],
    indexes: ['gsi5'],
    appendsAudit: true,
  },
  // Automations and deferred messages start threads and send messages; the watchdog hands a chunk on again
  // or gives a stalled fan-out up; a busy shard is handed to a worker.
  emits: [
    AttachmentRemoved,
    CommunicationChunkRequested,
    CommunicationFinished,
    DueWorkShardRequested,
    MessageSent,
    ScheduledMessageRefused,
    ThreadStarted,
  ],
};

export const declaration = scheduledFunction({
  name: 'due-work-sweep',
  summary:
    'Runs the deferred work that is due (delayed automations, deferred messages, the communication watchdog); hands busy shards to workers',
  schedule: { name: 'due-work', everyMinutes: DUE_WORK_DISPATCH.tickMinutes },
  access: DUE_WORK_RUNNER_ACCESS,
});
