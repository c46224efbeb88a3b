import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys, SCHEDULED_MESSAGE_SK_PREFIX, scheduledMessageKeys } from '../db/keys.ts';
import { queryPage } from '../db/query-page.ts';
import {
  cancellationCodes,
  type GuardedItem,
  guardRefusal,
  isConditionalCheckFailed,
  OptimisticConflict,
  withOptimisticRetry,
  writeWith,
} from '../db/transactions.ts';
import type { AttachmentRef } from '../domain/attachments.ts';
import { expiresAtAfter, RETENTION } from '../domain/retention.ts';
import type {
  ScheduledMessage,
  ScheduledMessageKind,
  ScheduledMessageStatus,
} from '../domain/scheduled-messages.ts';
import type { MessageAuthor, ReplyPolicy } from '../domain/types.ts';
import type { TransactItem } from './thread-repository.ts';

const ENTITY = 'ScheduledMessage';
const SCHEMA_VERSION = 1;

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

const fromItem = (item: Record<string, unknown>): ScheduledMessage => ({
  id: item.id as string,
  practitionerId: item.practitionerId as string,
  patientId: item.patientId as string,
  kind: item.kind as ScheduledMessageKind,
  threadId: str(item.threadId),
  appointmentId: str(item.appointmentId),
  replyPolicy: item.replyPolicy as ReplyPolicy,
  body: str(item.body),
  templateId: str(item.templateId),
  templateBody: str(item.templateBody),
  sendAt: item.sendAt as string,
  status: item.scheduledStatus as ScheduledMessageStatus,
  createdAt: item.createdAt as string,
  messageId: str(item.messageId),
  sentAt: str(item.sentAt),
  cancelledAt: str(item.cancelledAt),
  refusedAt: str(item.refusedAt),
  refusalReason: str(item.refusalReason),
  refusalDetails: (item.refusalDetails as Record<string, string> | null | undefined) ?? null,
  quotaCounted: item.quotaCounted === true,
  ...(Array.isArray(item.attachments) &&
    item.attachments.length > 0 && { attachments: item.attachments as AttachmentRef[] }),
  ...(isAuthor(item.author) && { author: item.author }),
});

const isAuthor = (value: unknown): value is MessageAuthor =>
  typeof value === 'object' &&
  value !== null &&
  (value as MessageAuthor).role === 'assistant' &&
  typeof (value as MessageAuthor).id === 'string' &&
  typeof (value as MessageAuthor).displayName === 'string';

/** Once it ended (sent, cancelled, refused, failed) it is history, kept RETENTION.scheduledMessageEndedMs. */
const ended = (at: string) => expiresAtAfter(RETENTION.scheduledMessageEndedMs, at);

/** Fields of the item other than its keys, status and index keys. */
const dataOf = (message: ScheduledMessage) => {
  const { status, ...rest } = message;
  return { ...rest, scheduledStatus: status };
};

/**
 * Deferred messages: one item each under the practitioner (sk `SCHEDMSG#<id>`),
 * on the sparse gsi5 `PRAC#<id>#SCHEDULED` partition while pending. Every change
 * of status is conditioned on `scheduled`, so a delivery and a cancellation can
 * never both happen: whichever commits first wins, the other finds it changed.
 */
export const createScheduledMessageRepository = (db: Db) => {
  const fromScheduled = (
    practitionerId: string,
    scheduledMessageId: string,
    set: Record<string, unknown>,
  ): NonNullable<TransactItem['Update']> => {
    const names: Record<string, string> = { '#status': 'scheduledStatus' };
    const values: Record<string, unknown> = { ':scheduled': 'scheduled' };
    const sets: string[] = [];
    Object.entries(set).forEach(([field, value], i) => {
      names[`#f${i}`] = field;
      values[`:v${i}`] = value;
      sets.push(`#f${i} = :v${i}`);
    });
    return {
      TableName: db.tableName,
      Key: keys.scheduledMessage(practitionerId, scheduledMessageId),
      UpdateExpression: `SET ${sets.join(', ')} REMOVE gsi5pk, gsi5sk`,
      ConditionExpression: 'attribute_exists(pk) AND #status = :scheduled',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  };

  const put = async (
    message: ScheduledMessage,
    dueWork: TransactItem,
    withItems: readonly TransactItem[],
    guards: readonly GuardedItem[],
  ): Promise<void> => {
    const extra = [dueWork, ...withItems];
    try {
      await db.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: db.tableName,
                Item: {
                  ...keys.scheduledMessage(message.practitionerId, message.id),
                  ...scheduledMessageKeys.index(message.practitionerId, message.sendAt, message.id),
                  entity: ENTITY,
                  schemaVersion: SCHEMA_VERSION,
                  ...dataOf(message),
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...extra,
            ...guards.map((g) => g.item),
          ],
        }),
      );
    } catch (error) {
      const refusal = guardRefusal(error, guards, 1 + extra.length);
      if (refusal) throw refusal;
      // Parallel creations meet on the practitioner's pending count: DynamoDB cancels all but one.
      if (cancellationCodes(error)?.includes('TransactionConflict')) throw new OptimisticConflict();
      throw error;
    }
  };

  const read = async (practitionerId: string, scheduledMessageId: string) => {
    const { Item } = await db.client.send(
      new GetCommand({
        TableName: db.tableName,
        Key: keys.scheduledMessage(practitionerId, scheduledMessageId),
        ConsistentRead: true,
      }),
    );
    return Item ? fromItem(Item) : null;
  };

  /**
   * The message after the change, or null when it was no longer scheduled (or
   * does not exist). `withItems` (the change's outbox items, made from the
   * message as read) commit with it or not at all.
   */
  const transition = async (
    practitionerId: string,
    scheduledMessageId: string,
    set: Record<string, unknown>,
    withItems: (message: ScheduledMessage) => readonly TransactItem[],
    guards: readonly GuardedItem[],
  ): Promise<ScheduledMessage | null> =>
    // A conflict (a creation or another end taking the same quota counter) re-reads and re-decides.
    withOptimisticRetry(async () => {
      const current = await read(practitionerId, scheduledMessageId);
      if (current?.status !== 'scheduled') return null;
      // The pending count is released only for a message that was counted (created since quotas).
      const release = current.quotaCounted ? guards : [];
      const items = withItems(current);
      try {
        await writeWith(db, { Update: fromScheduled(practitionerId, scheduledMessageId, set) }, [
          ...items,
          ...release.map((g) => g.item),
        ]);
      } catch (error) {
        if (isConditionalCheckFailed(error)) return null;
        throw guardRefusal(error, release, 1 + items.length) ?? error;
      }
      return fromItem({ ...dataOf(current), ...set });
    });

  return {
    /**
     * The message, the due work that will deliver it, `withItems` (its outbox items) and `guards`
     * (the practitioner's pending count: a failed one is its refusal), in one transaction.
     */
    create(
      message: ScheduledMessage,
      dueWork: TransactItem,
      withItems: readonly TransactItem[] = [],
      guards: readonly GuardedItem[] = [],
    ): Promise<void> {
      return withOptimisticRetry(() => put(message, dueWork, withItems, guards));
    },

    get: read,

    /** Pending ones, soonest first (sparse gsi5), or every one, newest created first. */
    async list(
      practitionerId: string,
      filter: 'scheduled' | 'all',
      page: { limit: number; cursor?: string },
    ): Promise<{ items: ScheduledMessage[]; nextCursor: string | null }> {
      // Pending ones from the sparse gsi5 partition, soonest first; all of them from the table, newest first.
      return filter === 'scheduled'
        ? queryPage(
            db,
            {
              indexName: 'gsi5',
              partition: {
                attribute: 'gsi5pk',
                value: scheduledMessageKeys.pendingPartition(practitionerId),
              },
            },
            page,
            fromItem,
          )
        : queryPage(
            db,
            {
              partition: { attribute: 'pk', value: keys.scheduledMessage(practitionerId, '').pk },
              skPrefix: SCHEDULED_MESSAGE_SK_PREFIX,
              newestFirst: true,
            },
            page,
            fromItem,
          );
    },

    /** scheduled → sent, in the message's transaction (fails when cancelled or sent meanwhile). */
    sentItem(
      practitionerId: string,
      scheduledMessageId: string,
      sent: { threadId: string; messageId: string; sentAt: string },
    ): TransactItem {
      return {
        Update: fromScheduled(practitionerId, scheduledMessageId, {
          scheduledStatus: 'sent',
          threadId: sent.threadId,
          messageId: sent.messageId,
          sentAt: sent.sentAt,
          expiresAt: ended(sent.sentAt),
        }),
      };
    },

    /** scheduled → cancelled; null when it is no longer scheduled (or does not exist). */
    cancel(
      practitionerId: string,
      scheduledMessageId: string,
      now: string,
      withItems: (message: ScheduledMessage) => readonly TransactItem[] = () => [],
      /** The release of the pending count (committed only when the message was counted). */
      guards: readonly GuardedItem[] = [],
    ): Promise<ScheduledMessage | null> {
      return transition(
        practitionerId,
        scheduledMessageId,
        { scheduledStatus: 'cancelled', cancelledAt: now, expiresAt: ended(now) },
        withItems,
        guards,
      );
    },

    /** scheduled → refused (the rules of the delivery time said no) or failed (delivery kept failing). */
    refuse(
      practitionerId: string,
      scheduledMessageId: string,
      outcome: { status: 'refused' | 'failed'; reason: string; details: Record<string, string> | null },
      now: string,
      withItems: (message: ScheduledMessage) => readonly TransactItem[] = () => [],
      guards: readonly GuardedItem[] = [],
    ): Promise<ScheduledMessage | null> {
      return transition(
        practitionerId,
        scheduledMessageId,
        {
          scheduledStatus: outcome.status,
          refusedAt: now,
          refusalReason: outcome.reason,
          refusalDetails: outcome.details,
          expiresAt: ended(now),
        },
        withItems,
        guards,
      );
    },
  };
};

export type ScheduledMessageRepository = ReturnType<typeof createScheduledMessageRepository>;
