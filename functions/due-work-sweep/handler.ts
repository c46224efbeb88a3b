import { scheduledJob } from '../../shared/events-consumer.ts';
import { automationRepository, communicationRepository } from '../../shared/runtime/optional-repositories.ts';
import { sweepDueWork } from '../../shared/use-cases/due-work.ts';
import { declaration } from './function.ts';

/** Stops claiming new work this long before the Lambda times out (30 s today), so runs in flight can finish and report. */
const SAFETY_MARGIN_MS = 8_000;

/** Every minute (schedule `due-work`): runs what is due in the quiet shards, hands the busy ones to workers. */
export const handler = scheduledJob(
  declaration,
  (_event, deps, context) =>
    sweepDueWork(deps, {
      shouldContinue: () =>
        typeof context?.getRemainingTimeInMillis !== 'function' ||
        context.getRemainingTimeInMillis() > SAFETY_MARGIN_MS,
    }),
  // Its runners deliver automations and watch communications.
  { repositories: (db) => ({ ...automationRepository(db), ...communicationRepository(db) }) },
);
