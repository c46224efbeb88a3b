import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { delegateKeys } from '../db/keys.ts';
import { queryAll } from '../db/query-all.ts';
import { cancellationCodes, isConditionalCheckFailed } from '../db/transactions.ts';
import { type DelegateGrant, delegateGrantOf } from './delegate-repository.ts';

/**
 * Delegates' inbox emails (ADR 0015): who asked for them, and the verified address of
 * the assistant's own token (`ASSISTANTCONTACT#<assistantId> / CONTACT`, never typed by
 * a practitioner). Functions, not methods (as quota-repository.ts, ADR 0006): only the
 * bundles that send or record these keep them, the hot routes do not.
 */
export const createDelegateEmailStore = (db: Db) => ({ db });
export type DelegateEmailStore = ReturnType<typeof createDelegateEmailStore>;

export interface AssistantContact {
  email: string;
  verifiedAt: string;
}

/** GetItem, eventually consistent (0.5 RCU): recorded long before a digest goes. */
export const assistantContactOf = async (
  { db }: DelegateEmailStore,
  assistantId: string,
): Promise<AssistantContact | null> => {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: delegateKeys.contact(assistantId) }),
  );
  return Item && typeof Item.email === 'string'
    ? { email: Item.email, verifiedAt: String(Item.verifiedAt) }
    : null;
};

/** One conditional PutItem: written unless the stored address is already this one; false then. */
export const recordAssistantContact = async (
  { db }: DelegateEmailStore,
  assistantId: string,
  email: string,
  at: string,
): Promise<boolean> => {
  try {
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          ...delegateKeys.contact(assistantId),
          entity: 'AssistantContact',
          assistantId,
          email,
          verifiedAt: at,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR #email <> :email',
        ExpressionAttributeNames: { '#email': 'email' },
        ExpressionAttributeValues: { ':email': email },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
};

/**
 * The assistant's own preference: `notify` on the grant and its mirror, in one
 * transaction, only while the grant exists (null otherwise: revoked or never granted).
 */
export const setDelegateNotify = async (
  { db }: DelegateEmailStore,
  practitionerId: string,
  assistantId: string,
  notify: boolean,
  now: string,
): Promise<DelegateGrant | null> => {
  const update = (key: { pk: string; sk: string }) => ({
    TableName: db.tableName,
    Key: key,
    UpdateExpression: 'SET #notify = :notify, updatedAt = :now',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: { '#notify': 'notify' },
    ExpressionAttributeValues: { ':notify': notify, ':now': now },
  });
  try {
    await db.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Update: update(delegateKeys.grant(practitionerId, assistantId)) },
          { Update: update(delegateKeys.mirror(assistantId, practitionerId)) },
        ],
      }),
    );
  } catch (error) {
    if (cancellationCodes(error)?.includes('ConditionalCheckFailed')) return null;
    throw error;
  }
  const { Item } = await db.client.send(
    new GetCommand({
      TableName: db.tableName,
      Key: delegateKeys.grant(practitionerId, assistantId),
      ConsistentRead: true,
    }),
  );
  return Item ? delegateGrantOf(Item) : null;
};

/**
 * The delegates who asked for the practitioner's emails: the grants' partition, read
 * whole (a handful of items), filtered here. Read when an email goes, never per request.
 */
export const notifiedDelegates = async (
  { db }: DelegateEmailStore,
  practitionerId: string,
): Promise<DelegateGrant[]> => {
  const grants = await queryAll(
    db,
    {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': delegateKeys.grantPartition(practitionerId) },
    },
    delegateGrantOf,
  );
  return grants.filter((grant) => grant.notify);
};
