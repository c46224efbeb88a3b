import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { COMMUNICATION_SK_PREFIX, keys } from '../db/keys.ts';
import { queryPage } from '../db/query-page.ts';
import { type GuardedItem, guardRefusal, isConditionalCheckFailed, writeWith } from '../db/transactions.ts';
import type { AttachmentRef } from '../domain/attachments.ts';
import {
  type Communication,
  type CommunicationAudience,
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
  audience: item.audience as CommunicationAudience,
  replyPolicy: item.replyPolicy as ReplyPolicy,
  templateId: (item.templateId as string | null | undefined) ?? null,
  attachments: Array.isArray(item.attachments) ? (item.attachments as AttachmentRef[]) : [],
  total: typeof item.total === 'number' ? item.total : null,
  sent: typeof item.sent === 'number' ? item.sent : 0,
  failed: typeof item.failed === 'number' ? item.failed : 0,
  createdAt: item.createdAt as string,
  startedAt: (item.startedAt as string | null | undefined) ?? null,
  finishedAt: (item.finishedAt as string | null | undefined) ?? null,
  failureReason: (item.failureReason as string | null | undefined) ?? null,
  chunkSeq: typeof item.chunkSeq === 'number' ? item.chunkSeq : 0,
  // A communication stored by the fan-out that counted its audience first (phase `counting`) holds a
  // counting position: nobody was sent anything yet, so it starts sending from the beginning.
  cursor:
    item.phase === 'counting' ? null : ((item.cursor as Record<string, string> | null | undefined) ?? null),
  progressAt: (item.progressAt as string | undefined) ?? (item.createdAt as string),
  pausedUntil: typeof item.pausedUntil === 'string' ? item.pausedUntil : null,
  reservation:
    typeof item.reservedSeq === 'number' &&
    typeof item.reservedCount === 'number' &&
    typeof item.reservedDay === 'string'
      ? { seq: item.reservedSeq, count: item.reservedCount, day: item.reservedDay }
      : null,
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
  /** The patient-base key the next chunk starts after; null when the audience is walked. */
  cursor: Record<string, string> | null;
  now: string;
  /** First chunk: queued → sending. */
  start?: boolean;
  /** The counts after this chunk (those read with the chunk, plus its own: the chunk condition makes them exact). */
  sent: number;
  failed: number;
  /** Sending is over: done/failed, total = sent + failed. */
  finish?: { status: 'done' | 'failed'; failureReason: string | null };
}

/**
 * Group communications: the communication item (state, position and counts,
 * updated once per chunk) and its text under the practitioner's partition; a
 * marker per recipient that could not be sent the message, with its reason, in
 * the communication's own partition (keys.communicationRecipient). The sent ones
 * need no marker: their thread's id is derived from the communication and the
 * patient (communicationThreadId), so the thread itself is the marker.
 */
export const createCommunicationRepository = (db: Db) => ({
  /** For the fan-out's functions below (not methods: only the fan-out's bundle keeps them, ADR 0006). */
  db,
  /** The communication, its text and the first watchdog check, in one transaction. */
  /** `guards` (the practitioner's daily communications window) fail it with their refusal. */
  async create(
    communication: Communication,
    content: string,
    extra: TransactItem[],
    guards: readonly GuardedItem[] = [],
  ): Promise<void> {
    // Fan-out state, absent until a chunk reserves recipients or pauses.
    const {
      id,
      practitionerId,
      status,
      pausedUntil: _paused,
      reservation: _reservation,
      attachments,
      ...rest
    } = communication;
    // Both kept a year for the practitioner's history (RETENTION.communicationMs), long after the fan-out.
    const expiresAt = expiresAtAfter(RETENTION.communicationMs, communication.createdAt);
    await db.client
      .send(
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
                  // Absent without attachments: the item (updated once per chunk) stays as small as before.
                  ...(attachments.length > 0 && { attachments }),
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
            ...guards.map((g) => g.item),
          ],
        }),
      )
      .catch((error: unknown) => {
        throw guardRefusal(error, guards, 2 + extra.length) ?? error;
      });
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

  /**
   * The recipients a chunk could not send the message to, with their reason
   * (a code): for operators, written before the chunk's advance counts them.
   * Plain Puts: a re-run of the chunk writes the same items again.
   */
  async recordFailures(recipients: readonly CommunicationRecipient[]): Promise<void> {
    await Promise.all(
      recipients.map((recipient) =>
        db.client.send(
          new PutCommand({
            TableName: db.tableName,
            Item: {
              ...keys.communicationRecipient(recipient.communicationId, recipient.patientId),
              entity: RECIPIENT_ENTITY,
              schemaVersion: SCHEMA_VERSION,
              ...recipient,
              expiresAt: epochSeconds(recipient.at) + FANOUT_POLICY.recipientMarkerTtlMs / 1000,
            },
          }),
        ),
      ),
    );
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
    /** Items whose failed condition is their refusal (giving back unused recipients). */
    guards: readonly GuardedItem[] = [],
  ): Promise<boolean> {
    const names: Record<string, string> = { '#status': 'commStatus', '#cursor': 'cursor' };
    const values: Record<string, unknown> = {
      ':seq': seq,
      ':next': seq + 1,
      ':now': change.now,
      ':queued': 'queued',
      ':sending': 'sending',
    };
    const sets = ['chunkSeq = :next', 'progressAt = :now', 'sent = :sent', 'failed = :failed'];
    values[':sent'] = change.sent;
    values[':failed'] = change.failed;
    // A chunk that committed is past any pause.
    const removes: string[] = ['pausedUntil'];
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
    if (change.finish) {
      sets.push('#status = :final', 'finishedAt = :now', '#total = :total', 'failureReason = :reason');
      names['#total'] = 'total';
      values[':total'] = change.sent + change.failed;
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
            UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
            ConditionExpression: 'chunkSeq = :seq AND #status IN (:queued, :sending)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        },
        [...withItems, ...guards.map((g) => g.item)],
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw guardRefusal(error, guards, 1 + withItems.length) ?? error;
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

/**
 * Records what chunk `seq` takes from the practitioner's daily recipients window, with `window`
 * (that take) in ONE transaction, once per chunk: 'changed' when the communication moved past the
 * chunk or the chunk already reserved (a re-run reads its reservation instead); the window's
 * refusal (RATE_LIMITED) when it has no room for `count`.
 */
export const reserveChunkRecipients = async (
  { db }: CommunicationRepository,
  practitionerId: string,
  communicationId: string,
  seq: number,
  reservation: { count: number; day: string },
  window: GuardedItem,
): Promise<'reserved' | 'changed'> => {
  try {
    await writeWith(
      db,
      {
        Update: {
          TableName: db.tableName,
          Key: keys.communication(practitionerId, communicationId),
          UpdateExpression: 'SET reservedSeq = :seq, reservedCount = :count, reservedDay = :day',
          ConditionExpression:
            'chunkSeq = :seq AND #status IN (:queued, :sending) AND (attribute_not_exists(reservedSeq) OR reservedSeq <> :seq)',
          ExpressionAttributeNames: { '#status': 'commStatus' },
          ExpressionAttributeValues: {
            ':seq': seq,
            ':count': reservation.count,
            ':day': reservation.day,
            ':queued': 'queued',
            ':sending': 'sending',
          },
        },
      },
      [window.item],
    );
    return 'reserved';
  } catch (error) {
    if (isConditionalCheckFailed(error)) return 'changed';
    throw guardRefusal(error, [window], 1) ?? error;
  }
};

/**
 * Holds the fan-out at chunk `seq` until `until` (the daily recipients window is used up);
 * false when it moved meanwhile. Its watchdog resumes it then (checkCommunicationProgress).
 */
export const pauseCommunication = async (
  { db }: CommunicationRepository,
  practitionerId: string,
  communicationId: string,
  seq: number,
  until: string,
): Promise<boolean> => {
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.communication(practitionerId, communicationId),
        UpdateExpression: 'SET pausedUntil = :until',
        ConditionExpression: 'chunkSeq = :seq AND #status IN (:queued, :sending)',
        ExpressionAttributeNames: { '#status': 'commStatus' },
        ExpressionAttributeValues: {
          ':until': until,
          ':seq': seq,
          ':queued': 'queued',
          ':sending': 'sending',
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
};
