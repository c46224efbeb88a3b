import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { delegateKeys } from '../db/keys.ts';
import { isConditionalCheckFailed } from '../db/transactions.ts';

export interface AssistantContact {
  email: string;
  verifiedAt: string;
}

/**
 * An assistant's verified notification address, `ASSISTANTCONTACT#<assistantId> / CONTACT`
 * (docs/data-model.md, ADR 0015): only ever the `email` of their own token with
 * `email_verified`, never an address a practitioner typed.
 */
export const createAssistantContactRepository = (db: Db) => ({
  /** GetItem, eventually consistent (0.5 RCU): recorded long before a digest goes. */
  async get(assistantId: string): Promise<AssistantContact | null> {
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: delegateKeys.contact(assistantId) }),
    );
    return Item && typeof Item.email === 'string'
      ? { email: Item.email, verifiedAt: String(Item.verifiedAt) }
      : null;
  },

  /** One conditional PutItem: written unless the stored address is already this one; false then. */
  async record(assistantId: string, email: string, at: string): Promise<boolean> {
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
  },
});

export type AssistantContactRepository = ReturnType<typeof createAssistantContactRepository>;
