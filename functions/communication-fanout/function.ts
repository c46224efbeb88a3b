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
  rule: { name: 'communication-fanout', events: [CommunicationRequested, CommunicationChunkRequested] },
  access: {
    table: {
      read: ['communication', 'communicationContent', 'communicationRecipient', 'patientRecord', 'settings'],
      write: [
        'communication',
        'communicationRecipient',
        'counterReconcile',
        'message',
        'patientCounters',
        'practitionerCounters',
        'thread',
      ],
      appendsAudit: true,
    },
    emits: [CommunicationChunkRequested, CommunicationFinished, MessageSent, ThreadStarted],
  },
});
