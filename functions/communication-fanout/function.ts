import {
  CommunicationChunkRequested,
  CommunicationFinished,
  CommunicationRequested,
  MessageSent,
  ThreadStarted,
} from '../../events/index.ts';
import { eventFunction } from '../../shared/function-model/declaration.ts';

export const declaration = eventFunction({
  name: 'communication-fanout',
  summary: 'Sends one bounded chunk of a group communication, then hands the rest on',
  rule: {
    name: 'communication-fanout',
    // CommunicationFinished: its attachments are kept with the recipients' messages, or released.
    events: [CommunicationRequested, CommunicationChunkRequested, CommunicationFinished],
  },
  access: {
    table: {
      // thread + message: a re-run names what an earlier run of the chunk sent (its derived thread).
      // practitionerQuota: each chunk takes its recipients from the daily window (ADR 0011).
      read: [
        'communication',
        'communicationContent',
        'message',
        'patientRecord',
        'practitionerQuota',
        'settings',
        'thread',
      ],
      // Never the practitioner's counters: a communication's threads stay out of their inbox (dormant).
      // attachment + dueWork: at its end, its attachments kept, or released with a new expiry.
      write: [
        'attachment',
        'communication',
        'communicationRecipient',
        'dueWork',
        'message',
        'patientCounters',
        'practitionerQuota',
        'thread',
      ],
      appendsAudit: true,
    },
    emits: [CommunicationChunkRequested, CommunicationFinished, MessageSent, ThreadStarted],
  },
});
