import {
  MessageReceived,
  MessageRetracted,
  MessageSent,
  MessagesRead,
  ThreadArchived,
  ThreadTreated,
} from '../../events/index.ts';
import { eventFunction } from '../../shared/function-model/declaration.ts';

export const declaration = eventFunction({
  name: 'realtime-notify',
  summary: 'Tells the connected parties of a thread that it changed (ids and counts only)',
  rule: {
    name: 'thread-changes-realtime-notify',
    events: [MessageReceived, MessageSent, MessagesRead, ThreadTreated, ThreadArchived, MessageRetracted],
  },
  access: {
    table: { read: ['connection', 'practitionerCounters', 'patientCounters'], write: ['connection'] },
    postsToConnections: true,
  },
});
