/**
 * The attachments of a group communication (docs/adr/0016-attachments.md, "Group communications"):
 * ONE attachment item shared by every recipient's message. The communication takes it in its creating
 * transaction; once the fan-out finished, it is kept as long as the last recipient's message, or,
 * when nobody received it, released to the practitioner (and expired a day later if unused).
 * Functions on the communication repository's table, not repository methods: only the communication
 * functions bundle them (ADR 0006; the message-writing routes never do).
 */
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../db/keys.ts';
import {
  cancellationCodes,
  type GuardedItem,
  isConditionalCheckFailed,
  type TransactItem,
} from '../db/transactions.ts';
import { attachmentNotUsable } from '../domain/attachments.ts';
import { expiresAtAfter, medicalRecordExpiresAt } from '../domain/retention.ts';
import { type AttachmentOwner, UNUSED_ITEM_TTL_MS } from './attachment-repository.ts';
import type { CommunicationRepository } from './communication-repository.ts';

/**
 * `messageId` of an attachment a communication took: never a message id (those are ULIDs), so every
 * condition that wants `messageId` NULL — another message's attach, a reservation, the 24-hour
 * expiry — leaves it alone.
 */
export const communicationMarker = (communicationId: string) => `COMM#${communicationId}`;

/**
 * The updates that give these attachments to a communication, for its creating transaction: each only
 * if it is the practitioner's, `clean` and not used yet (the same conditions as a message's attach, so
 * of a communication and a reply racing for one attachment exactly one commits). The item lives as
 * long as a message sent now would; keepForRecipients moves that to the fan-out's end.
 */
export const takeForCommunication = (
  { db }: CommunicationRepository,
  owner: AttachmentOwner,
  attachmentIds: readonly string[],
  communication: { id: string; createdAt: string },
): GuardedItem[] =>
  attachmentIds.map((attachmentId, index) => ({
    item: {
      Update: {
        TableName: db.tableName,
        Key: keys.attachment(attachmentId),
        UpdateExpression:
          'SET messageId = :marker, communicationId = :communication, usedAt = :at, expiresAt = :expires',
        ConditionExpression:
          'ownerRole = :role AND ownerId = :owner AND #status = :clean AND attribute_type(messageId, :null)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':marker': communicationMarker(communication.id),
          ':communication': communication.id,
          ':at': communication.createdAt,
          ':expires': medicalRecordExpiresAt(communication.createdAt),
          ':role': owner.role,
          ':owner': owner.id,
          ':clean': 'clean',
          ':null': 'NULL',
        },
      },
    },
    onConditionFailed: () => attachmentNotUsable(index),
  }));

/**
 * The fan-out finished and someone received it: the attachment lives as long as the last recipient's
 * message (the medical record's retention from `finishedAt`; every message was sent before). Safe to
 * repeat; one no longer this communication's is left alone. Returns how many it kept.
 */
export const keepForRecipients = async (
  { db }: CommunicationRepository,
  communicationId: string,
  attachmentIds: readonly string[],
  finishedAt: string,
): Promise<number> => {
  const kept = await Promise.all(
    attachmentIds.map(async (attachmentId): Promise<number> => {
      try {
        await db.client.send(
          new UpdateCommand({
            TableName: db.tableName,
            Key: keys.attachment(attachmentId),
            UpdateExpression: 'SET expiresAt = :expires',
            ConditionExpression: 'communicationId = :communication',
            ExpressionAttributeValues: {
              ':expires': medicalRecordExpiresAt(finishedAt),
              ':communication': communicationId,
            },
          }),
        );
        return 1;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return 0;
        throw error;
      }
    }),
  );
  return kept.reduce((a, b) => a + b, 0);
};

/**
 * Nobody received the communication: the attachment is the practitioner's unused file again (another
 * message may take it), with `withItems` (its new 24-hour expiry) in the same transaction. False when
 * it was released already (a repeat) or is not this communication's.
 */
export const releaseFromCommunication = async (
  { db }: CommunicationRepository,
  communicationId: string,
  attachmentId: string,
  now: string,
  withItems: readonly TransactItem[],
): Promise<boolean> => {
  try {
    await db.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: db.tableName,
              Key: keys.attachment(attachmentId),
              UpdateExpression:
                'SET messageId = :null, communicationId = :null, expiresAt = :expires REMOVE usedAt',
              ConditionExpression: 'communicationId = :communication AND messageId = :marker',
              ExpressionAttributeValues: {
                ':null': null,
                ':expires': expiresAtAfter(UNUSED_ITEM_TTL_MS, now),
                ':communication': communicationId,
                ':marker': communicationMarker(communicationId),
              },
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
};
