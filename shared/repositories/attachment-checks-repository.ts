/**
 * The writes of an attachment's life before any message (docs/adr/0016-attachments.md): its creation
 * with its expiry, and the checks' moves from `pending`. Only the attachment functions build it
 * (shared/runtime/attachment-ports.ts): the message-writing bundles never carry it.
 */
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { isConditionalCheckFailed, type TransactItem } from '../db/transactions.ts';
import type { Attachment } from '../domain/attachments.ts';
import { expiresAtAfter } from '../domain/retention.ts';
import { ATTACHMENT_ENTITY, UNUSED_ITEM_TTL_MS } from './attachment-repository.ts';

export const createAttachmentChecksRepository = (db: Db) => ({
  /** A new pending attachment, with `withItems` (its expiry work) in the same transaction. */
  async create(attachment: Attachment, withItems: readonly TransactItem[]): Promise<void> {
    const put: TransactItem = {
      Put: {
        TableName: db.tableName,
        Item: {
          ...keys.attachment(attachment.id),
          entity: ATTACHMENT_ENTITY,
          schemaVersion: 1,
          ...attachment,
          expiresAt: expiresAtAfter(UNUSED_ITEM_TTL_MS, attachment.createdAt),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
    await db.client.send(new TransactWriteCommand({ TransactItems: [put, ...withItems] }));
  },

  /**
   * One check passed (the type/size check, or GuardDuty's scan), then, when every check the stage
   * requires has passed, `pending` → `clean`. Either check may arrive first: each records itself,
   * then tries the move, and only the second finds both (each write is conditioned on `pending`).
   */
  async recordPassed(
    attachmentId: string,
    check: 'typeChecked' | 'malwareScanned',
    malwareScanRequired: boolean,
  ): Promise<'clean' | 'waiting' | 'not-pending'> {
    const key = keys.attachment(attachmentId);
    try {
      await db.client.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: key,
          UpdateExpression: 'SET #check = :yes',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#check': check, '#status': 'status' },
          ExpressionAttributeValues: { ':yes': true, ':pending': 'pending' },
        }),
      );
      await db.client.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: key,
          UpdateExpression: 'SET #status = :clean',
          ConditionExpression: `#status = :pending AND typeChecked = :yes${malwareScanRequired ? ' AND malwareScanned = :yes' : ''}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':yes': true, ':pending': 'pending', ':clean': 'clean' },
        }),
      );
      return 'clean';
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const { Item } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
      );
      const now = Item as { status?: string } | undefined;
      return now?.status === 'pending' ? 'waiting' : 'not-pending';
    }
  },

  /** `pending` → `rejected` (a failed check is final); false when it was not pending. */
  async reject(attachmentId: string, reason: string): Promise<boolean> {
    try {
      await db.client.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: keys.attachment(attachmentId),
          UpdateExpression: 'SET #status = :rejected, rejectedReason = :reason',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':rejected': 'rejected', ':pending': 'pending', ':reason': reason },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  },
});

export type AttachmentChecksRepository = ReturnType<typeof createAttachmentChecksRepository>;
