import { ThreadTreated } from '../../events/thread-treated.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import { onThreadTreated } from '../../shared/use-cases/notifications.ts';

/** ThreadTreated → the untreated count went down: the practitioner may leave the sweep index. */
export const handler = eventConsumer('untreated-index', [
  on(ThreadTreated, (data, _event, deps) => onThreadTreated(deps, data)),
]);
