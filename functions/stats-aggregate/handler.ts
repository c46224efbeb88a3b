import { MessageReceived, ThreadTreated } from '../../events/index.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import { statsRepository } from '../../shared/runtime/optional-repositories.ts';
import { needs } from '../../shared/use-cases/deps.ts';
import { recordMessageReceived, recordThreadTreated } from '../../shared/use-cases/stats.ts';
import { declaration } from './function.ts';

/** A patient message and a treat: the thread's statistics, and the per-day difference they make. */
export const handler = eventConsumer(
  declaration,
  [
    on(MessageReceived, (data, _event, deps) => recordMessageReceived(needs(deps, 'stats'), data)),
    on(ThreadTreated, (data, _event, deps) => recordThreadTreated(needs(deps, 'stats'), data)),
  ],
  { repositories: statsRepository },
);
