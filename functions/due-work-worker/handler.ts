import { DueWorkShardRequested } from '../../events/due-work-shard-requested.ts';
import { DUE_WORK_DISPATCH } from '../../shared/domain/due-work.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { automationRepository, communicationRepository } from '../../shared/runtime/optional-repositories.ts';
import { runDueShard } from '../../shared/use-cases/due-work.ts';
import { declaration } from './function.ts';

/**
 * One busy due-work shard (DueWorkShardRequested from the tick or the previous
 * worker): drained with bounded concurrency until its budget (20 s of a 30 s
 * timeout) is spent, the rest handed on.
 */
export const handler = eventConsumer(
  declaration,
  [
    on(DueWorkShardRequested, async (data, _event, deps) => {
      const startedAt = performance.now();
      const summary = await runDueShard(deps, data, {
        shouldContinue: () => performance.now() - startedAt < DUE_WORK_DISPATCH.workerBudgetMs,
      });
      logger.info('Due-work shard drained', { summary: { ...summary, seq: data.seq } });
    }),
  ],
  // The tick's runners (DUE_WORK_RUNNER_ACCESS): the same optional repositories as due-work-sweep.
  { repositories: (db) => ({ ...automationRepository(db), ...communicationRepository(db) }) },
);
