import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { statsKeys } from '../db/keys.ts';
import { queryAll } from '../db/query-all.ts';
import { cancellationCodes, OptimisticConflict, withOptimisticRetry } from '../db/transactions.ts';
import {
  contributions,
  type DayAggregate,
  difference,
  EMPTY_HISTORY,
  type ThreadHistory,
} from '../domain/time-to-treat.ts';

/**
 * The statistics' items (docs/data-model.md, "Time-to-treat statistics"). A change of a thread's history
 * commits in ONE transaction with the per-day deltas it implies, under a condition on the history's
 * version: two deliveries racing on one thread cannot both add their delta (the loser re-reads, and
 * finds its event already there or adds only what is left).
 */
export interface StatsRepository {
  /** Applies `change` to the thread's history; its days get the difference. `unchanged`: a replay. */
  record(
    practitionerId: string,
    threadId: string,
    change: (history: ThreadHistory) => ThreadHistory,
    dayOf: (iso: string) => string,
  ): Promise<'changed' | 'unchanged'>;
  /** The days from `from` to `to` inclusive that have aggregates: one Query. */
  days(practitionerId: string, from: string, to: string): Promise<Array<[string, DayAggregate]>>;
}

const BUCKET_ATTRIBUTE = /^h(\d+)$/;

const dayOfItem = (item: Record<string, unknown>): [string, DayAggregate] => {
  const buckets: Record<number, number> = {};
  for (const [name, value] of Object.entries(item)) {
    const match = BUCKET_ATTRIBUTE.exec(name);
    if (match && typeof value === 'number' && value !== 0) buckets[Number(match[1])] = value;
  }
  const count = (name: string) => (typeof item[name] === 'number' ? (item[name] as number) : 0);
  return [
    String(item.sk).slice('DAY#'.length),
    {
      received: count('received'),
      treated: count('treated'),
      within48h: count('within48h'),
      open: count('openCount'),
      buckets,
    },
  ];
};

/** ADD of every non-zero field of a day's delta (buckets as flat `h<n>` attributes: ADD needs no map to exist). */
const dayUpdate = (db: Db, practitionerId: string, day: string, delta: DayAggregate) => {
  const values: Record<string, number> = {
    ':received': delta.received,
    ':treated': delta.treated,
    ':within': delta.within48h,
    ':open': delta.open,
  };
  const adds = ['received :received', 'treated :treated', 'within48h :within', 'openCount :open'];
  for (const [bucket, count] of Object.entries(delta.buckets)) {
    adds.push(`h${bucket} :h${bucket}`);
    values[`:h${bucket}`] = count;
  }
  return {
    Update: {
      TableName: db.tableName,
      Key: statsKeys.day(practitionerId, day),
      UpdateExpression: `ADD ${adds.join(', ')}`,
      ExpressionAttributeValues: values,
    },
  };
};

export const createStatsRepository = (db: Db): StatsRepository => ({
  record: (practitionerId, threadId, change, dayOf) =>
    withOptimisticRetry(async () => {
      const key = statsKeys.thread(practitionerId, threadId);
      const found = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
      );
      const history: ThreadHistory = found.Item
        ? { received: found.Item.received ?? {}, treats: found.Item.treats ?? [] }
        : EMPTY_HISTORY;
      const version = typeof found.Item?.version === 'number' ? found.Item.version : 0;
      const next = change(history);
      if (next === history) return 'unchanged';
      const deltas = difference(contributions(history, dayOf), contributions(next, dayOf));
      try {
        await db.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: db.tableName,
                  Item: { ...key, received: next.received, treats: [...next.treats], version: version + 1 },
                  ConditionExpression: found.Item ? 'version = :version' : 'attribute_not_exists(pk)',
                  ...(found.Item && { ExpressionAttributeValues: { ':version': version } }),
                },
              },
              ...[...deltas].map(([day, delta]) => dayUpdate(db, practitionerId, day, delta)),
            ],
          }),
        );
      } catch (error) {
        if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') throw new OptimisticConflict();
        throw error;
      }
      return 'changed';
    }),
  async days(practitionerId, from, to) {
    const range = statsKeys.dayRange(from, to);
    return queryAll(
      db,
      {
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': statsKeys.partition(practitionerId),
          ':from': range.from,
          ':to': range.to,
        },
      },
      dayOfItem,
    );
  },
});
