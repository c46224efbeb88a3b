import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/** Reason codes of a cancelled transaction, one per item in order ('None' when that item was fine). */
export const cancellationCodes = (error: unknown): string[] | null =>
  error instanceof TransactionCanceledException ||
  (error as { name?: string })?.name === 'TransactionCanceledException'
    ? ((error as TransactionCanceledException).CancellationReasons ?? []).map((r) => r.Code ?? 'None')
    : null;

export const isConditionalCheckFailed = (error: unknown): boolean =>
  (error as { name?: string })?.name === 'ConditionalCheckFailedException';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class OptimisticConflict extends Error {
  constructor() {
    super('Concurrent update, retry');
    this.name = 'OptimisticConflict';
  }
}

/**
 * Re-runs read → decide → conditional write while another writer won the race.
 * The attempt re-reads the state, so a retry sees the winner's change (a closed
 * thread, a used-up reply) and the domain rule answers, not this loop.
 */
export const withOptimisticRetry = async <T>(attempt: () => Promise<T>, maxAttempts = 40): Promise<T> => {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof OptimisticConflict) || n >= maxAttempts) throw error;
      await sleep(Math.random() * Math.min(200, 5 * 2 ** Math.min(n, 6)));
    }
  }
};
