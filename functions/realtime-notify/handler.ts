import {
  MessageReceived,
  MessageRetracted,
  MessageSent,
  MessagesRead,
  ThreadArchived,
  ThreadTreated,
} from '../../events/index.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import { connectionPoster } from '../../shared/runtime/connection-poster.ts';
import { adapterContext } from '../../shared/runtime/function-deps.ts';
import { connectionRepository } from '../../shared/runtime/optional-repositories.ts';
import { type Deps, needs } from '../../shared/use-cases/deps.ts';
import {
  onMessageReceived,
  onMessageSent,
  onMessagesRead,
  onThreadTreated,
  onThreadUpdated,
  type RealtimeDeps,
} from '../../shared/use-cases/realtime.ts';
import { declaration } from './function.ts';

const poster = connectionPoster(adapterContext(declaration));
const realtime = (deps: Deps): RealtimeDeps => ({
  clock: deps.clock,
  connections: needs(deps, 'connections'),
  counters: deps.counters,
  poster,
});

/** Thread events → content-free notifications on the parties' open connections (SPEC 11.4). */
export const handler = eventConsumer(
  declaration,
  [
    on(MessageReceived, (data, _event, deps) => onMessageReceived(realtime(deps), data)),
    on(MessageSent, (data, _event, deps) => onMessageSent(realtime(deps), data)),
    on(MessagesRead, (data, _event, deps) => onMessagesRead(realtime(deps), data)),
    on(ThreadTreated, (data, _event, deps) => onThreadTreated(realtime(deps), data)),
    on(ThreadArchived, (data, _event, deps) => onThreadUpdated(realtime(deps), data, [])),
    on(MessageRetracted, (data, _event, deps) => onThreadUpdated(realtime(deps), data, ['patient'])),
  ],
  { repositories: connectionRepository },
);
