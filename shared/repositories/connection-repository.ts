import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { type ConnectionHolder, connectionKeys, delegateKeys } from '../db/keys.ts';
import { queryAll } from '../db/query-all.ts';
import type { DelegationScope } from '../function-model/declaration.ts';

/**
 * Who connects to the live inbox: the two parties of a thread, and assistants (practice teams, ADR 0015),
 * who get the practitioner side's notifications of every practice that delegates them `inbox`.
 */
export type ConnectedRole = ConnectionHolder;

/** A user's open WebSocket connection (docs/data-model.md, "Real-time connections"). */
export interface Connection {
  connectionId: string;
  /** Epoch seconds: the table's TTL attribute, and the Query's filter until TTL deletes the item. */
  expiresAt: number;
}

/** SPEC 11.4: connections expire after 2 hours (API Gateway's own maximum connection duration). */
export const CONNECTION_LIFETIME_SECONDS = 2 * 60 * 60;

export interface ConnectionRepository {
  add(role: ConnectedRole, userId: string, connectionId: string, now: Date): Promise<void>;
  /** The user's live connections: one Query of their partition (expired ones the TTL has not removed yet are skipped). */
  list(role: ConnectedRole, userId: string, now: Date): Promise<Connection[]>;
  remove(role: ConnectedRole, userId: string, connectionId: string): Promise<void>;
  /**
   * The assistants a change to the practitioner's inbox reaches: those whose grant holds `inbox`
   * (one Query of `DELEGATE#<practitionerId>`, read consistently so a revocation or a narrowed scope holds
   * from the very next event). Here rather than in the delegate repository: only the realtime functions
   * build this repository (an optional one), so the hot HTTP bundles do not carry the fan-out.
   */
  inboxAssistantsOf(practitionerId: string): Promise<string[]>;
}

export const createConnectionRepository = (db: Db): ConnectionRepository => ({
  async add(role, userId, connectionId, now) {
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          ...connectionKeys.connection(role, userId, connectionId),
          connectionId,
          connectedAt: now.toISOString(),
          expiresAt: Math.floor(now.getTime() / 1000) + CONNECTION_LIFETIME_SECONDS,
        },
      }),
    );
  },
  list: (role, userId, now) =>
    queryAll(
      db,
      {
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: 'expiresAt > :now',
        ExpressionAttributeValues: {
          ':pk': connectionKeys.partition(role, userId),
          ':now': Math.floor(now.getTime() / 1000),
        },
        ProjectionExpression: 'pk, sk, connectionId, expiresAt',
      },
      (item): Connection => ({ connectionId: String(item.connectionId), expiresAt: Number(item.expiresAt) }),
    ),
  async remove(role, userId, connectionId) {
    await db.client.send(
      new DeleteCommand({
        TableName: db.tableName,
        Key: connectionKeys.connection(role, userId, connectionId),
      }),
    );
  },
  async inboxAssistantsOf(practitionerId) {
    const grants = await queryAll(
      db,
      {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': delegateKeys.grantPartition(practitionerId) },
        ProjectionExpression: 'assistantId, scopes',
        ConsistentRead: true,
      },
      (item) => ({
        assistantId: String(item.assistantId),
        scopes: (item.scopes as DelegationScope[] | undefined) ?? [],
      }),
    );
    return grants.filter((grant) => grant.scopes.includes('inbox')).map((grant) => grant.assistantId);
  },
});
