import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { auditKeys } from '../db/keys.ts';
import { cancellationCodes } from '../db/transactions.ts';
import type { ChainLink, ChainSubject } from '../domain/audit-chain.ts';

/**
 * The heads of the shipped audit chains (docs/adr/0012-audit-object-lock.md), in
 * `AUDITHEAD#<subject>` partitions:
 *
 * - `HEAD`: the last sequence number given out and its hash;
 * - `ENTRY#<entryKey>`: which link an entry became (its seq and prevHash), so a
 *   redelivered entry is recognised whatever the order and concurrency of the
 *   deliveries, and its object can be written again if the first attempt died
 *   between the claim and the PutObject. Kept a week: the table's stream keeps
 *   records 24 hours, so no delivery comes later.
 *
 * A link is claimed in one transaction: the head moves from `seq` to `seq + 1`
 * only if it is still at `seq`, and the entry's marker is created only if absent.
 * Two shippers can therefore never give out the same number, nor one entry two.
 */
export const ENTRY_MARKER_DAYS = 7;

export interface ChainHead {
  seq: number;
  hash: string;
}

export type ClaimResult =
  | { outcome: 'claimed' }
  /** Another shipper moved the head first: read it again and retry. */
  | { outcome: 'moved' }
  /** This entry was claimed before (a redelivery): its link, to be written again if missing. */
  | { outcome: 'already'; seq: number; prevHash: string };

const markerKey = (subject: ChainSubject, entryKey: string) => ({
  pk: auditKeys.head(subject).pk,
  sk: `ENTRY#${entryKey}`,
});

export const createAuditChainRepository = (db: Db) => {
  const marker = async (subject: ChainSubject, entryKey: string) => {
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: markerKey(subject, entryKey), ConsistentRead: true }),
    );
    return Item ? { seq: Number(Item.seq), prevHash: String(Item.prevHash) } : null;
  };
  return {
    async head(subject: ChainSubject): Promise<ChainHead | null> {
      const { Item } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: auditKeys.head(subject), ConsistentRead: true }),
      );
      return Item ? { seq: Number(Item.seq), hash: String(Item.hash) } : null;
    },

    marker,

    async claim(link: ChainLink, previous: ChainHead | null, now: Date): Promise<ClaimResult> {
      const expiresAt = Math.floor(now.getTime() / 1000) + ENTRY_MARKER_DAYS * 86_400;
      try {
        await db.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: db.tableName,
                  Key: auditKeys.head(link.subject),
                  UpdateExpression: 'SET #seq = :seq, #hash = :hash, entity = :entity, updatedAt = :now',
                  ConditionExpression: previous ? '#seq = :previous' : 'attribute_not_exists(pk)',
                  ExpressionAttributeNames: { '#seq': 'seq', '#hash': 'hash' },
                  ExpressionAttributeValues: {
                    ':seq': link.seq,
                    ':hash': link.hash,
                    ':entity': 'AuditChainHead',
                    ':now': now.toISOString(),
                    ...(previous && { ':previous': previous.seq }),
                  },
                },
              },
              {
                Put: {
                  TableName: db.tableName,
                  Item: {
                    ...markerKey(link.subject, link.entry.entryKey),
                    entity: 'AuditChainEntry',
                    seq: link.seq,
                    prevHash: link.prevHash,
                    expiresAt,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        );
        return { outcome: 'claimed' };
      } catch (error) {
        const codes = cancellationCodes(error);
        if (!codes) throw error;
        if (codes[1] === 'ConditionalCheckFailed') {
          const existing = await marker(link.subject, link.entry.entryKey);
          if (existing) return { outcome: 'already', ...existing };
        }
        if (codes.includes('ConditionalCheckFailed') || codes.includes('TransactionConflict')) {
          return { outcome: 'moved' };
        }
        throw error;
      }
    },
  };
};

export type AuditChainRepository = ReturnType<typeof createAuditChainRepository>;
