import { dueWorkKeys } from '../db/keys.ts';
import { addMs, DUE_WORK_POLICY, type DueWorkKind, retryDelayMs } from '../domain/due-work.ts';
import type { ClaimedDueWork } from '../repositories/due-work-repository.ts';
import { logger, metrics } from '../runtime/logger.ts';
import { automationWorkSchema, runAutomation } from './automations.ts';
import { checkCommunicationProgress, communicationWatchdogSchema } from './communications.ts';
import type { Deps } from './deps.ts';
import { deliverScheduledMessage, scheduledMessageWorkSchema } from './scheduled-messages.ts';

export type DueWorkResult =
  | { outcome: 'done' | 'skipped' | 'failed'; reason?: string }
  /** Not possible yet: run again at `at` (default: the backoff of this attempt). */
  | { outcome: 'retry'; reason: string; at?: string };

export type DueWorkRunner = (
  deps: Deps,
  payload: Record<string, string>,
  work: ClaimedDueWork,
) => Promise<DueWorkResult>;

export const RUNNERS: Record<DueWorkKind, DueWorkRunner> = {
  automation: async (deps, payload) => {
    const result = await runAutomation(deps, automationWorkSchema.parse(payload));
    switch (result.outcome) {
      case 'sent':
        return { outcome: 'done' };
      case 'not-ready':
        return { outcome: 'retry', reason: result.reason };
      default:
        return result;
    }
  },
  // Deferred sending: delivered once at its time, or refused under the rules of that moment (recorded
  // on the message). The last attempt records an unexpected error as `failed` rather than leave it pending.
  'scheduled-message': async (deps, payload, work) => {
    const result = await deliverScheduledMessage(deps, scheduledMessageWorkSchema.parse(payload), {
      finalAttempt: work.attempts >= DUE_WORK_POLICY.maxAttempts,
    });
    switch (result.outcome) {
      case 'sent':
        return { outcome: 'done' };
      case 'refused':
        return { outcome: 'skipped', reason: `refused:${result.reason}` };
      default:
        return result;
    }
  },
  // Group communications: resumes a fan-out that stopped moving; schedules its own next check.
  'communication-watchdog': async (deps, payload) => {
    const outcome = await checkCommunicationProgress(deps, communicationWatchdogSchema.parse(payload));
    return outcome === 'given-up'
      ? { outcome: 'failed', reason: 'communication-stalled' }
      : { outcome: 'done', reason: outcome };
  },
};

export interface SweepSummary {
  claimed: number;
  done: number;
  skipped: number;
  retried: number;
  failed: number;
  /** Items another sweep (or a cancel) took first. */
  lost: number;
}

export interface SweepOptions {
  /** Items read per Query page and shard. */
  pageSize?: number;
  /** Runs at the same time per shard. */
  concurrency?: number;
  /** Asked before each new claim: false stops the sweep (e.g. the Lambda is near its timeout). */
  shouldContinue?: () => boolean;
  runners?: Record<string, DueWorkRunner>;
}

const mapWithConcurrency = async <T>(items: T[], limit: number, run: (item: T) => Promise<void>) => {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await run(item);
    }),
  );
};

const errorName = (error: unknown) => (error instanceof Error ? error.name : 'Error');

/** One sweep over every shard; answers counts for the log. */
export const sweepDueWork = async (deps: Deps, options: SweepOptions = {}): Promise<SweepSummary> => {
  const pageSize = options.pageSize ?? 50;
  const concurrency = options.concurrency ?? 5;
  const shouldContinue = options.shouldContinue ?? (() => true);
  const runners = options.runners ?? RUNNERS;
  const now = deps.clock.now().toISOString();
  const summary: SweepSummary = { claimed: 0, done: 0, skipped: 0, retried: 0, failed: 0, lost: 0 };

  const finish = async (claimed: ClaimedDueWork, result: DueWorkResult) => {
    const finishedAt = deps.clock.now().toISOString();
    if (result.outcome === 'retry') {
      if (claimed.attempts >= DUE_WORK_POLICY.maxAttempts) {
        metrics.addMetric('DueWorkFailed', 'Count', 1);
        logger.error('Due work given up', {
          workId: claimed.workId,
          kind: claimed.kind,
          reason: result.reason,
        });
        summary.failed++;
        await deps.dueWork.finish(claimed, 'failed', `gave up: ${result.reason}`, finishedAt);
        return;
      }
      summary.retried++;
      const backoff = addMs(finishedAt, retryDelayMs(claimed.attempts));
      // Never due again within this sweep (its upper bound is `now`): no run loop.
      const at = result.at && result.at > now ? result.at : backoff;
      await deps.dueWork.retryAt(claimed, at, result.reason);
      return;
    }
    summary[result.outcome]++;
    if (result.outcome === 'failed') {
      metrics.addMetric('DueWorkFailed', 'Count', 1);
      logger.error('Due work failed', { workId: claimed.workId, kind: claimed.kind, reason: result.reason });
    }
    await deps.dueWork.finish(
      claimed,
      result.outcome === 'done' ? 'done' : result.outcome,
      result.reason ?? null,
      finishedAt,
    );
  };

  const process = async (item: { workId: string; indexSortKey: string }) => {
    if (!shouldContinue()) return;
    const claimed = await deps.dueWork.claim(item.workId, item.indexSortKey, now);
    if (!claimed) {
      summary.lost++;
      return;
    }
    summary.claimed++;
    metrics.addMetric(
      'DueWorkLagSeconds',
      'Seconds',
      Math.max(0, (Date.parse(now) - Date.parse(claimed.dueAt)) / 1000),
    );
    const runner = runners[claimed.kind];
    let result: DueWorkResult;
    if (!runner) {
      result = { outcome: 'failed', reason: `no runner for kind ${claimed.kind}` };
    } else {
      try {
        result = await runner(deps, claimed.payload, claimed);
      } catch (error) {
        // Transient (throttling, a network error…): the backoff retries it.
        logger.warn('Due work run threw', {
          workId: claimed.workId,
          kind: claimed.kind,
          errorName: errorName(error),
        });
        result = { outcome: 'retry', reason: errorName(error) };
      }
    }
    await finish(claimed, result);
  };

  await Promise.all(
    dueWorkKeys.shards().map(async (shard) => {
      let start: Record<string, unknown> | undefined;
      do {
        if (!shouldContinue()) return;
        const page = await deps.dueWork.findDue(shard, now, pageSize, start);
        await mapWithConcurrency(page.items, concurrency, process);
        start = page.lastKey;
      } while (start);
    }),
  );
  return summary;
};
