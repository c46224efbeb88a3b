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
  summary:
    "Tells the connected parties of a thread (and the practice's inbox assistants) that it changed (ids and counts only)",
  rule: {
    name: 'thread-changes-realtime-notify',
    events: [MessageReceived, MessageSent, MessagesRead, ThreadTreated, ThreadArchived, MessageRetracted],
  },
  access: {
    // delegateGrant: the practice's assistants holding `inbox` get the practitioner side's notifications.
    table: {
      read: ['connection', 'practitionerCounters', 'patientCounters', 'delegateGrant'],
      write: ['connection'],
    },
    postsToConnections: true,
  },
});
