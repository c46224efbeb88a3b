import { scheduledJob } from '../../shared/events-consumer.ts';
import { reconcileMarkedCounters } from '../../shared/use-cases/counters.ts';
import { declaration } from './function.ts';

/** Every 5 minutes: the counters marked by a drifted change, recomputed once they are quiet. */
export const handler = scheduledJob(declaration, (_event, deps) => reconcileMarkedCounters(deps));
