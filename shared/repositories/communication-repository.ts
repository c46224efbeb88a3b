import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { COMMUNICATION_SK_PREFIX, keys } from '../db/keys.ts';
import { queryPage } from '../db/query-page.ts';
import { cancellationCodes, isConditionalCheckFailed, writeWith } from '../db/transactions.ts';
import {
  type Communication,
  type CommunicationAudience,
  type CommunicationPhase,
  type CommunicationRecipient,
  type CommunicationStatus,
  FANOUT_POLICY,
} from '../domain/communications.ts';
import { expiresAtAfter, RETENTION } from '../domain/retention.ts';
import type { ReplyPolicy } from '../domain/types.ts';
import type { TransactItem } from './thread-repository.ts';

const ENTITY = 'Communication';
const CONTENT_ENTITY = 'CommunicationContent';
const RECIPIENT_ENTITY = 'CommunicationRecipient';
const SCHEMA_VERSION = 1;

const fromItem = (item: Record<string, unknown>): Communication => ({
  id: item.id as string,
  practitionerId: item.practitionerId as string,
  status: item.commStatus as CommunicationStatus,
  phase: item.phase as CommunicationPhase,
  audience: item.audience as CommunicationAudience,
  replyPolicy: item.replyPolicy as ReplyPolicy,
  templateId: (item.templateId as string | null | undefined) ?? null,
  total: typeof item.total === 'number' ? item.total : null,
  sent: typeof item.sent === 'number' ? item.sent : 0,
  failed: typeof item.failed === 'number' ? item.failed : 0,
  createdAt: item.createdAt as string,
  startedAt: (item.startedAt as string | null | undefined) ?? null,
  finishedAt: (item.finishedAt as string | null | undefined) ?? null,
  failureReason: (item.failureReason as string | null | undefined) ?? null,
  chunkSeq: typeof item.chunkSeq === 'number' ? item.chunkSeq : 0,
  cursor: (item.cursor as Record<string, string> | null | undefined) ?? null,
  counted: typeof item.counted === 'number' ? item.counted : 0,
  progressAt: (item.progressAt as string | undefined) ?? (item.createdAt as string),
});

const recipientFromItem = (item: Record<string, unknown>): CommunicationRecipient => ({
  communicationId: item.communicationId as string,
  practitionerId: item.practitionerId as string,
  patientId: item.patientId as string,
  outcome: item.outcome as CommunicationRecipient['outcome'],
  threadId: (item.threadId as string | null | undefined) ?? null,
  messageId: (item.messageId as string | null | undefined) ?? null,
  replyPolicy: (item.replyPolicy as ReplyPolicy | null | undefined) ?? null,
  reason: (item.reason as string | null | undefined) ?? null,
  at: item.at as string,
});

const epochSeconds = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

/** What a committed chunk moves the fan-out to. */
export interface ChunkAdvance {
  /** The patient-base key the next chunk starts after; null when the walk (of this phase) is over. */
  cursor: Record<string, string> | null;
  now: string;
  /** First chunk: queued → sending. */
  start?: boolean;
  /** Counting phase: patients counted by this chunk (required with countingDone). */
  counted?: number;
  /** Counting is over: total = the count, the next chunk sends. */
  countingDone?: boolean;
  /** Sending is over: done/failed, total = sent + failed exactly. */
  finish?: { status: 'done' | 'failed'; failureReason: string | null };
}

/**
 * Group communications: the communication item (state and counts, small since
 * it is updated once per recipient) and its text under the practitioner's
 * partition; one exactly-once marker per recipient in the communication's own
 * partition (keys.communicationRecipient).
 */
export const createCommunicationRepository = (db: Db) => ({
  /** The communication, its text and the first watchdog check, in one transaction. */
  async create(communication: Communication, content: string, extra: TransactItem[]): Promise<void> {
    const { id, practitionerId, status, ...rest } = communication;
    // Both kept a year for the practitioner's history (RETENTION.communicationMs), long after the fan-out.
    const expiresAt = expiresAtAfter(RETENTION.communicationMs, communication.createdAt);
    await db.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: db.tableName,
              Item: {
                ...keys.communication(practitionerId, id),
                entity: ENTITY,
                schemaVersion: SCHEMA_VERSION,
                id,
                practitionerId,
                // `status` is a reserved word; stored as commStatus so expressions stay readable.
                commStatus: status,
                ...rest,
                expiresAt,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: db.tableName,
              Item: {
                ...keys.communicationContent(practitionerId, id),
                entity: CONTENT_ENTITY,
                schemaVersion: SCHEMA_VERSION,
                communicationId: id,
                practitionerId,
                body: content,
                expiresAt,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          ...extra,
        ],
      }),
    );
  },

  async get(practitionerId: string, communicationId: string): Promise<Communication | null> {
    const { Item } = await db.client.send(
      new GetCommand({
        TableName: db.tableName,
        Key: keys.communication(practitionerId, communicationId),
        ConsistentRead: true,
      }),
    );
    return Item ? fromItem(Item) : null;
  },

  async getContent(practitionerId: string, communicationId: string): Promise<string | null> {
    const { Item } = await db.client.send(
      new GetCommand({
        TableName: db.tableName,
        Key: keys.communicationContent(practitionerId, communicationId),
        ConsistentRead: true,
      }),
    );
    return typeof Item?.body === 'string' ? Item.body : null;
  },

  /** Newest first (the sort key holds a ULID). */
  async list(
    practitionerId: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: Communication[]; nextCursor: string | null }> {
    return queryPage(
      db,
      {
        partition: { attribute: 'pk', value: keys.communication(practitionerId, '').pk },
        skPrefix: COMMUNICATION_SK_PREFIX,
        newestFirst: true,
      },
      page,
      fromItem,
    );
  },

  /** The marker of a patient already processed by this communication, or null. */
  async getRecipient(communicationId: string, patientId: string): Promise<CommunicationRecipient | null> {
    const { Item } = await db.client.send(
      new GetCommand({
        TableName: db.tableName,
        Key: keys.communicationRecipient(communicationId, patientId),
        ConsistentRead: true,
      }),
    );
    return Item ? recipientFromItem(Item) : null;
  },

  /** Put only if absent: the item that makes one patient's message exactly-once. */
  recipientItem(recipient: CommunicationRecipient): TransactItem {
    return {
      Put: {
        TableName: db.tableName,
        Item: {
          ...keys.communicationRecipient(recipient.communicationId, recipient.patientId),
          entity: RECIPIENT_ENTITY,
          schemaVersion: SCHEMA_VERSION,
          ...recipient,
          expiresAt: epochSeconds(recipient.at) + FANOUT_POLICY.recipientMarkerTtlMs / 1000,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  },

  /** +1 sent or failed on the communication, in the recipient's transaction. */
  countItem(practitionerId: string, communicationId: string, outcome: 'sent' | 'failed'): TransactItem {
    return {
      Update: {
        TableName: db.tableName,
        Key: keys.communication(practitionerId, communicationId),
        UpdateExpression: 'ADD #count :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#count': outcome },
        ExpressionAttributeValues: { ':one': 1 },
      },
    };
  },

  /**
   * Records a recipient that could not be sent the message (marker + failed +1).
   * 'exists' when the patient was already processed (a re-run).
   */
  async recordFailure(recipient: CommunicationRecipient): Promise<'recorded' | 'exists'> {
    try {
      await db.client.send(
        new TransactWriteCommand({
          TransactItems: [
            this.recipientItem(recipient),
            this.countItem(recipient.practitionerId, recipient.communicationId, 'failed'),
          ],
        }),
      );
      return 'recorded';
    } catch (error) {
      if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') return 'exists';
      throw error;
    }
  },

  /**
   * Moves the fan-out past a chunk, only from the chunk it ran (`chunkSeq = seq`)
   * and while the communication is still in progress: of two deliveries of the
   * same chunk, one advances it (and hands the next chunk on), the other stops.
   */
  async advance(
    practitionerId: string,
    communicationId: string,
    seq: number,
    change: ChunkAdvance,
    /** The outbox items of what advancing causes (the next chunk's request, the end): all or nothing. */
    withItems: readonly TransactItem[] = [],
  ): Promise<boolean> {
    const names: Record<string, string> = { '#status': 'commStatus', '#cursor': 'cursor' };
    const values: Record<string, unknown> = {
      ':seq': seq,
      ':next': seq + 1,
      ':now': change.now,
      ':queued': 'queued',
      ':sending': 'sending',
    };
    const sets = ['chunkSeq = :next', 'progressAt = :now'];
    const removes: string[] = [];
    if (change.cursor) {
      sets.push('#cursor = :cursor');
      values[':cursor'] = change.cursor;
    } else {
      removes.push('#cursor');
    }
    if (change.start) {
      // Only the first chunk (read as queued) starts it, and the chunk condition lets it do so once.
      sets.push('startedAt = :now');
      if (!change.finish) sets.push('#status = :sending');
    }
    if (change.counted !== undefined) {
      sets.push('counted = counted + :counted');
      values[':counted'] = change.counted;
    }
    if (change.countingDone) {
      // Right-hand sides read the item before the update: the old count plus this chunk's.
      sets.push('phase = :sendingPhase', '#total = counted + :counted');
      names['#total'] = 'total';
      values[':sendingPhase'] = 'sending';
    }
    if (change.finish) {
      sets.push('#status = :final', 'finishedAt = :now', '#total = sent + failed', 'failureReason = :reason');
      names['#total'] = 'total';
      values[':final'] = change.finish.status;
      values[':reason'] = change.finish.failureReason;
    }
    try {
      await writeWith(
        db,
        {
          Update: {
            TableName: db.tableName,
            Key: keys.communication(practitionerId, communicationId),
            UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
            ConditionExpression: 'chunkSeq = :seq AND #status IN (:queued, :sending)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        },
        withItems,
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  },

  /** Gives a stalled fan-out up (the watchdog), only if it is still at the chunk the watchdog saw. */
  async giveUp(
    practitionerId: string,
    communicationId: string,
    seq: number,
    reason: string,
    now: string,
    withItems: readonly TransactItem[] = [],
  ): Promise<boolean> {
    try {
      await writeWith(
        db,
        {
          Update: {
            TableName: db.tableName,
            Key: keys.communication(practitionerId, communicationId),
            UpdateExpression:
              'SET #status = :failed, finishedAt = :now, failureReason = :reason, #total = sent + failed',
            ConditionExpression: 'chunkSeq = :seq AND #status IN (:queued, :sending)',
            ExpressionAttributeNames: { '#status': 'commStatus', '#total': 'total' },
            ExpressionAttributeValues: {
              ':failed': 'failed',
              ':now': now,
              ':reason': reason,
              ':seq': seq,
              ':queued': 'queued',
              ':sending': 'sending',
            },
          },
        },
        withItems,
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  },
});

export type CommunicationRepository = ReturnType<typeof createCommunicationRepository>;
