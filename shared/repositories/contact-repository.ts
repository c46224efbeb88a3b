import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { isConditionalCheckFailed } from '../db/transactions.ts';

/**
 * Where a patient's notification address was verified (ADR 0010): `identity` =
 * an `email` with `email_verified` in the patient's own token; `agenda` = the
 * address the agenda verified at booking. Never a practitioner-typed one.
 */
export type ContactSource = 'identity' | 'agenda';

export interface PatientContact {
  email: string;
  source: ContactSource;
  verifiedAt: string;
}

const fromItem = (item: Record<string, unknown> | undefined): PatientContact | null =>
  item && typeof item.email === 'string' && (item.source === 'identity' || item.source === 'agenda')
    ? { email: item.email, source: item.source, verifiedAt: String(item.verifiedAt) }
    : null;

/** The patient's verified address, `CONTACT#<patientId>` / `CONTACT` (docs/data-model.md). */
export const createContactRepository = (db: Db) => {
  /** One conditional PutItem; false when the condition kept what is stored (nothing written). */
  const put = async (
    patientId: string,
    contact: PatientContact,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> => {
    try {
      await db.client.send(
        new PutCommand({
          TableName: db.tableName,
          Item: { ...keys.patientContact(patientId), entity: 'PatientContact', patientId, ...contact },
          ConditionExpression: `attribute_not_exists(pk) OR (${condition})`,
          // Only the names the condition uses (DynamoDB refuses unused ones).
          ExpressionAttributeNames: Object.fromEntries(
            (condition.match(/#\w+/g) ?? []).map((name) => [name, name.slice(1)]),
          ),
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  };
  return {
    /** GetItem, eventually consistent (0.5 RCU): the address was recorded before any message to notify about. */
    async get(patientId: string): Promise<PatientContact | null> {
      const { Item } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: keys.patientContact(patientId) }),
      );
      return fromItem(Item);
    },

    /** The patient's own verified address: written unless it is already the stored identity address. */
    recordIdentity: (patientId: string, email: string, at: string) =>
      put(
        patientId,
        { email, source: 'identity', verifiedAt: at },
        '#source <> :identity OR #email <> :email',
        {
          ':identity': 'identity',
          ':email': email,
        },
      ),

    /**
     * The agenda's address: never over an identity address, and never over a
     * newer agenda one (a redelivered or late booking event changes nothing).
     */
    recordAgenda: (patientId: string, email: string, at: string) =>
      put(patientId, { email, source: 'agenda', verifiedAt: at }, '#source = :agenda AND #verifiedAt < :at', {
        ':agenda': 'agenda',
        ':at': at,
      }),
  };
};

export type ContactRepository = ReturnType<typeof createContactRepository>;
