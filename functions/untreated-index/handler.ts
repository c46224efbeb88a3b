import { ThreadTreated } from '../../events/thread-treated.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import { onThreadTreated } from '../../shared/use-cases/notifications.ts';
import { declaration } from './function.ts';

/** ThreadTreated → the untreated count went down: the practitioner may leave the sweep index. */
export const handler = eventConsumer(declaration, [
  on(ThreadTreated, (data, _event, deps) => onThreadTreated(deps, data)),
]);
