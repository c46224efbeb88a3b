import { BatchGetCommand, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { fieldsOrNull } from '../db/item-fields.ts';
import { keys } from '../db/keys.ts';
import { cancellationCodes, type TransactItem } from '../db/transactions.ts';
import { type Attachment, type AttachmentOwnerRole, attachmentNotUsable } from '../domain/attachments.ts';
import { expiresAtAfter, medicalRecordExpiresAt } from '../domain/retention.ts';
import type { ExtraTransactItem } from './thread-repository.ts';

export const ATTACHMENT_ENTITY = 'Attachment';
/** A deferred message's reservation, in `messageId` until its delivery (never a message id: those are ULIDs). */
const reservationOf = (scheduledMessageId: string) => `SCHEDULED#${scheduledMessageId}`;
/** The table's TTL takes an unused attachment's item a day after the due-work expiry should have (a backstop). */
export const UNUSED_ITEM_TTL_MS = 48 * 60 * 60_000;

const FIELDS = [
  'id',
  'ownerRole',
  'ownerId',
  'fileName',
  'contentType',
  'size',
  'status',
  'createdAt',
  'typeChecked',
  'malwareScanned',
  'rejectedReason',
  'threadId',
  'messageId',
  'communicationId',
] as const satisfies readonly (keyof Attachment)[];

const fromItem = (item: Record<string, unknown>): Attachment => fieldsOrNull<Attachment>(item, FIELDS);

export interface AttachmentOwner {
  role: AttachmentOwnerRole;
  id: string;
}

/**
 * Attachments, `ATTACH#<id> / ATTACHMENT` (docs/data-model.md): created `pending` with the
 * upload URL, moved once to `clean` or `rejected` by the checks, taken once by a message.
 */
export const createAttachmentRepository = (db: Db) => ({
  async get(attachmentId: string): Promise<Attachment | null> {
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.attachment(attachmentId), ConsistentRead: true }),
    );
    return Item ? fromItem(Item) : null;
  },

  /** Several by id (at most ATTACHMENT_LIMITS.perMessage), in no particular order; missing ones left out. */
  async getMany(attachmentIds: readonly string[]): Promise<Attachment[]> {
    if (attachmentIds.length === 0) return [];
    const { Responses } = await db.client.send(
      new BatchGetCommand({
        RequestItems: {
          [db.tableName]: { Keys: attachmentIds.map((id) => keys.attachment(id)), ConsistentRead: true },
        },
      }),
    );
    return (Responses?.[db.tableName] ?? []).map(fromItem);
  },

  /**
   * The updates that give these attachments to a message, for the message's own transaction:
   * each only if it is the caller's, `clean` and not used yet (so of two messages racing for the
   * same attachment exactly one commits). The item then lives as long as the medical record.
   */
  attachItems(
    owner: AttachmentOwner,
    attachmentIds: readonly string[],
    message: { threadId: string; messageId: string; sentAt: string },
    /** A deferred message's delivery: the attachments it reserved (reserveItems), and only those. */
    reservedFor?: string,
  ): ExtraTransactItem[] {
    return attachmentIds.map((attachmentId, index) => ({
      item: {
        Update: {
          TableName: db.tableName,
          Key: keys.attachment(attachmentId),
          UpdateExpression:
            'SET threadId = :thread, messageId = :message, usedAt = :at, expiresAt = :expires',
          ConditionExpression: `ownerRole = :role AND ownerId = :owner AND #status = :clean AND ${
            reservedFor === undefined ? 'attribute_type(messageId, :null)' : 'messageId = :reservation'
          }`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ...(reservedFor === undefined
              ? { ':null': 'NULL' }
              : { ':reservation': reservationOf(reservedFor) }),
            ':thread': message.threadId,
            ':message': message.messageId,
            ':at': message.sentAt,
            ':expires': medicalRecordExpiresAt(message.sentAt),
            ':role': owner.role,
            ':owner': owner.id,
            ':clean': 'clean',
          },
        },
      },
      onConditionFailed: () => attachmentNotUsable(index),
    }));
  },

  /**
   * A deferred message reserves its attachments when it is scheduled (same conditions as an attach):
   * `messageId` holds `SCHEDULED#<scheduledMessageId>`, so no other message takes them and the 24-hour
   * expiry leaves them; the item lives until 48 hours after `sendAt` if the delivery never comes.
   */
  reserveItems(
    owner: AttachmentOwner,
    attachmentIds: readonly string[],
    scheduledMessageId: string,
    sendAt: string,
  ) {
    return attachmentIds.map(
      (attachmentId): TransactItem => ({
        Update: {
          TableName: db.tableName,
          Key: keys.attachment(attachmentId),
          UpdateExpression: 'SET messageId = :reservation, expiresAt = :expires',
          ConditionExpression:
            'ownerRole = :role AND ownerId = :owner AND #status = :clean AND attribute_type(messageId, :null)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':reservation': reservationOf(scheduledMessageId),
            ':expires': expiresAtAfter(UNUSED_ITEM_TTL_MS, sendAt),
            ':role': owner.role,
            ':owner': owner.id,
            ':clean': 'clean',
            ':null': 'NULL',
          },
        },
      }),
    );
  },

  /**
   * Deletes the item if no message took it, with `withItems` (the event that removes its object);
   * false when a message did (or it is gone already).
   */
  async deleteUnused(
    attachmentId: string,
    withItems: readonly TransactItem[],
    /** The deferred message that reserved it: deleted only if that delivery never took it. */
    reservedFor?: string,
  ): Promise<boolean> {
    try {
      await db.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: db.tableName,
                Key: keys.attachment(attachmentId),
                // Never taken (nor reserved); or, for a reservation's expiry, still only reserved.
                ConditionExpression:
                  reservedFor === undefined
                    ? 'attribute_exists(pk) AND attribute_type(messageId, :null)'
                    : 'attribute_exists(pk) AND messageId = :reservation',
                ExpressionAttributeValues:
                  reservedFor === undefined
                    ? { ':null': 'NULL' }
                    : { ':reservation': reservationOf(reservedFor) },
              },
            },
            ...withItems,
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') return false;
      throw error;
    }
  },

  /** Deletes the item whatever its state (the patient's erasure), with `withItems`. */
  async delete(attachmentId: string, withItems: readonly TransactItem[]): Promise<void> {
    await db.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: db.tableName, Key: keys.attachment(attachmentId) } },
          ...withItems,
        ],
      }),
    );
  },
});

export type AttachmentRepository = ReturnType<typeof createAttachmentRepository>;
