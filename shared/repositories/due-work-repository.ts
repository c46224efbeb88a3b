import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { dueWorkKeys, keys } from '../db/keys.ts';
import { isConditionalCheckFailed } from '../db/transactions.ts';
import {
  addMs,
  DUE_WORK_POLICY,
  type DueWork,
  type DueWorkKind,
  type DueWorkState,
} from '../domain/due-work.ts';
import type { TransactItem } from './thread-repository.ts';

const ENTITY = 'DueWork';
const SCHEMA_VERSION = 1;

export interface NewDueWork {
  workId: string;
  kind: DueWorkKind;
  payload: Record<string, string>;
  dueAt: string;
}

/** A claimed item: only the holder of `claimToken` may finish or release it. */
export interface ClaimedDueWork extends DueWork {
  claimToken: string;
}

const fromItem = (item: Record<string, unknown>): DueWork => ({
  workId: item.workId as string,
  kind: item.kind as DueWorkKind,
  payload: (item.payload ?? {}) as Record<string, string>,
  dueAt: item.dueAt as string,
  state: item.dueState as DueWorkState,
  attempts: typeof item.attempts === 'number' ? item.attempts : 0,
  createdAt: item.createdAt as string,
});

const epochSeconds = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

/**
 * The due-work queue: items on the sparse gsi5 index while pending, swept by
 * the `due-work` schedule. Scheduling is idempotent on the work id; claiming is
 * a conditional update on the exact index position the sweep read, so only one
 * of two concurrent sweeps gets an item.
 */
export const createDueWorkRepository = (db: Db) => {
  const itemFor = (work: NewDueWork, now: string) => ({
    ...keys.dueWork(work.workId),
    ...dueWorkKeys.index(work.workId, work.dueAt),
    entity: ENTITY,
    schemaVersion: SCHEMA_VERSION,
    workId: work.workId,
    kind: work.kind,
    payload: work.payload,
    dueAt: work.dueAt,
    dueState: 'pending',
    attempts: 0,
    createdAt: now,
  });

  return {
    /** A Put for another transaction (e.g. a deferred message scheduled with its record). */
    scheduleTransactItem(work: NewDueWork, now: string): TransactItem {
      return {
        Put: {
          TableName: db.tableName,
          Item: itemFor(work, now),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      };
    },

    /** Schedules the work once: a second call with the same work id changes nothing. */
    async schedule(work: NewDueWork, now: string): Promise<'scheduled' | 'exists'> {
      try {
        await db.client.send(
          new PutCommand({
            TableName: db.tableName,
            Item: itemFor(work, now),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return 'scheduled';
      } catch (error) {
        if (isConditionalCheckFailed(error)) return 'exists';
        throw error;
      }
    },

    async get(workId: string): Promise<(DueWork & { claimToken: string | null }) | null> {
      const { Item } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: keys.dueWork(workId), ConsistentRead: true }),
      );
      return Item ? { ...fromItem(Item), claimToken: (Item.claimToken as string | undefined) ?? null } : null;
    },

    /** Pending items of one shard due at or before `now`, oldest first. */
    async findDue(
      shardPartition: string,
      now: string,
      limit: number,
      exclusiveStartKey?: Record<string, unknown>,
    ): Promise<{
      items: Array<{ workId: string; indexSortKey: string }>;
      lastKey?: Record<string, unknown>;
    }> {
      const page = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          IndexName: 'gsi5',
          KeyConditionExpression: 'gsi5pk = :pk AND gsi5sk <= :upTo',
          ExpressionAttributeValues: { ':pk': shardPartition, ':upTo': dueWorkKeys.dueUpTo(now) },
          ProjectionExpression: 'workId, gsi5sk',
          Limit: limit,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      return {
        items: (page.Items ?? []).map((i) => ({
          workId: i.workId as string,
          indexSortKey: i.gsi5sk as string,
        })),
        lastKey: page.LastEvaluatedKey,
      };
    },

    /**
     * Takes an item for one run: moves its index position to the end of the lease
     * (so other sweeps skip it meanwhile) and counts the attempt. Conditioned on
     * the position the sweep read: of two sweeps, exactly one wins.
     */
    async claim(workId: string, seenSortKey: string, now: string): Promise<ClaimedDueWork | null> {
      const claimToken = randomUUID();
      try {
        const { Attributes } = await db.client.send(
          new UpdateCommand({
            TableName: db.tableName,
            Key: keys.dueWork(workId),
            UpdateExpression:
              'SET gsi5sk = :leaseKey, claimToken = :token, claimedAt = :now ADD attempts :one',
            ConditionExpression: 'gsi5sk = :seen AND dueState = :pending',
            ExpressionAttributeValues: {
              ':leaseKey': dueWorkKeys.index(workId, addMs(now, DUE_WORK_POLICY.leaseMs)).gsi5sk,
              ':token': claimToken,
              ':now': now,
              ':one': 1,
              ':seen': seenSortKey,
              ':pending': 'pending',
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return Attributes ? { ...fromItem(Attributes), claimToken } : null;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return null;
        throw error;
      }
    },

    /** Leaves the queue with its outcome, kept for operators until the TTL removes it. */
    async finish(
      claimed: ClaimedDueWork,
      state: Exclude<DueWorkState, 'pending'>,
      reason: string | null,
      now: string,
    ): Promise<boolean> {
      try {
        await db.client.send(
          new UpdateCommand({
            TableName: db.tableName,
            Key: keys.dueWork(claimed.workId),
            UpdateExpression:
              'SET dueState = :state, outcomeReason = :reason, finishedAt = :now, expiresAt = :expiresAt REMOVE gsi5pk, gsi5sk, claimToken',
            ConditionExpression: 'claimToken = :token',
            ExpressionAttributeValues: {
              ':state': state,
              ':reason': reason,
              ':now': now,
              ':expiresAt': epochSeconds(addMs(now, DUE_WORK_POLICY.keepFinishedMs)),
              ':token': claimed.claimToken,
            },
          }),
        );
        return true;
      } catch (error) {
        // The lease ran out and another sweep took the item over: that run reports instead.
        if (isConditionalCheckFailed(error)) return false;
        throw error;
      }
    },

    /** Puts a claimed item back in the queue, due again at `at`. */
    async retryAt(claimed: ClaimedDueWork, at: string, reason: string): Promise<boolean> {
      try {
        await db.client.send(
          new UpdateCommand({
            TableName: db.tableName,
            Key: keys.dueWork(claimed.workId),
            UpdateExpression: 'SET gsi5sk = :at, outcomeReason = :reason REMOVE claimToken',
            ConditionExpression: 'claimToken = :token',
            ExpressionAttributeValues: {
              ':at': dueWorkKeys.index(claimed.workId, at).gsi5sk,
              ':reason': reason,
              ':token': claimed.claimToken,
            },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return false;
        throw error;
      }
    },

    /**
     * Cancels pending work that no run holds (for deferred sends, issue 6): a
     * conditional delete, so a run and a cancel can never both happen.
     */
    async cancel(workId: string, now: string): Promise<boolean> {
      try {
        await db.client.send(
          new DeleteCommand({
            TableName: db.tableName,
            Key: keys.dueWork(workId),
            ConditionExpression:
              'dueState = :pending AND (attribute_not_exists(claimToken) OR claimedAt < :leaseStart)',
            ExpressionAttributeValues: {
              ':pending': 'pending',
              ':leaseStart': addMs(now, -DUE_WORK_POLICY.leaseMs),
            },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return false;
        throw error;
      }
    },
  };
};

export type DueWorkRepository = ReturnType<typeof createDueWorkRepository>;
