import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from './client.ts';

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

/** One item of a TransactWriteItems (Put, Update, Delete or ConditionCheck), document-client shaped. */
export type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

/** A condition of the main write failed: the same name DynamoDB gives a single conditional write. */
class WriteConditionFailed extends Error {
  override readonly name = 'ConditionalCheckFailedException';
}

/**
 * One write and the items that must commit with it (its events' outbox items):
 * a transaction when there are any, the plain write otherwise. A failed
 * condition of the write itself surfaces as ConditionalCheckFailedException
 * either way (isConditionalCheckFailed), so callers decide the same.
 */
export const writeWith = async (
  db: Db,
  write: TransactItem,
  withItems: readonly TransactItem[],
): Promise<void> => {
  if (withItems.length === 0) {
    if (write.Put) await db.client.send(new PutCommand(write.Put));
    else if (write.Update) await db.client.send(new UpdateCommand(write.Update));
    else if (write.Delete) await db.client.send(new DeleteCommand(write.Delete));
    else throw new Error('writeWith: a Put, Update or Delete');
    return;
  }
  try {
    await db.client.send(new TransactWriteCommand({ TransactItems: [write, ...withItems] }));
  } catch (error) {
    const codes = cancellationCodes(error);
    if (codes?.[0] === 'ConditionalCheckFailed')
      throw new WriteConditionFailed('The conditional request failed');
    if (codes?.includes('TransactionConflict')) throw new OptimisticConflict();
    throw error;
  }
};

/** A transaction item whose failed condition is a domain refusal (a quota: shared/repositories/quota-repository.ts). */
export interface GuardedItem {
  item: TransactItem;
  onConditionFailed: () => Error;
}

/**
 * The refusal of the first guard whose condition failed, the guards being the
 * transaction's items from `offset` on; null when none failed (or not a cancellation).
 */
export const guardRefusal = (
  error: unknown,
  guards: readonly GuardedItem[],
  offset: number,
): Error | null => {
  const codes = cancellationCodes(error);
  if (!codes) return null;
  const failed = guards.find((_, i) => codes[offset + i] === 'ConditionalCheckFailed');
  return failed ? failed.onConditionFailed() : null;
};
