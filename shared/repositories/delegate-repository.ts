import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { delegateKeys } from '../db/keys.ts';
import { type Page, type PageRequest, queryPage } from '../db/query-page.ts';
import {
  cancellationCodes,
  type GuardedItem,
  guardRefusal,
  OptimisticConflict,
  withOptimisticRetry,
} from '../db/transactions.ts';
import type { DelegationScope } from '../function-model/declaration.ts';

const ENTITY = 'DelegateGrant';
const SCHEMA_VERSION = 1;

/** A practitioner's grant to an assistant (SPEC 11.2, docs/adr/0015-practice-teams.md). */
export interface DelegateGrant {
  practitionerId: string;
  assistantId: string;
  /** How the practice names the assistant (shown as a message's `author`). */
  displayName: string;
  scopes: DelegationScope[];
  /** The assistant asked for the practitioner's inbox notifications too. */
  notify: boolean;
  createdAt: string;
  updatedAt: string;
}

export type DelegateGrantData = Pick<DelegateGrant, 'displayName' | 'scopes'> & { notify?: boolean };

/** The grant (or its mirror) from its item. */
export const delegateGrantOf = (item: Record<string, unknown>): DelegateGrant => ({
  practitionerId: item.practitionerId as string,
  assistantId: item.assistantId as string,
  displayName: item.displayName as string,
  scopes: (item.scopes as DelegationScope[] | undefined) ?? [],
  notify: item.notify === true,
  createdAt: item.createdAt as string,
  updatedAt: item.updatedAt as string,
});

/**
 * Grants (`DELEGATE#<practitionerId> / ASSISTANT#<assistantId>`) and their mirrors
 * (`ASSISTANT#<assistantId> / PRAC#<practitionerId>`), always written and deleted
 * together in one transaction so both listings agree.
 */
export const createDelegateRepository = (db: Db) => ({
  /**
   * The grant, read consistently: a revocation or a narrowed scope holds from the
   * very next request (an eventually consistent read could still see it).
   */
  async grantOf(practitionerId: string, assistantId: string): Promise<DelegateGrant | null> {
    const { Item } = await db.client.send(
      new GetCommand({
        TableName: db.tableName,
        Key: delegateKeys.grant(practitionerId, assistantId),
        ConsistentRead: true,
      }),
    );
    return Item ? delegateGrantOf(Item) : null;
  },

  /**
   * Creates or replaces the grant and its mirror; `created` tells which. A creation
   * carries `onCreate` (the delegates quota, ADR 0011) in its transaction and is
   * conditioned on no grant, a replacement on one: a concurrent create or revoke in
   * between makes it start again from a fresh read, so the count stays exact.
   */
  put(
    practitionerId: string,
    assistantId: string,
    data: DelegateGrantData,
    now: string,
    onCreate: readonly GuardedItem[] = [],
  ): Promise<{ grant: DelegateGrant; created: boolean }> {
    return withOptimisticRetry(async () => {
      const existing = await this.grantOf(practitionerId, assistantId);
      const grant: DelegateGrant = {
        practitionerId,
        assistantId,
        displayName: data.displayName,
        scopes: data.scopes,
        notify: data.notify ?? existing?.notify ?? false,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      const common = { entity: ENTITY, schemaVersion: SCHEMA_VERSION, ...grant };
      const guards = existing ? [] : onCreate;
      try {
        await db.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: db.tableName,
                  Item: { ...delegateKeys.grant(practitionerId, assistantId), ...common },
                  ConditionExpression: existing ? 'attribute_exists(pk)' : 'attribute_not_exists(pk)',
                },
              },
              {
                Put: {
                  TableName: db.tableName,
                  Item: { ...delegateKeys.mirror(assistantId, practitionerId), ...common },
                },
              },
              ...guards.map((guard) => guard.item),
            ],
          }),
        );
      } catch (error) {
        const refused = guardRefusal(error, guards, 2);
        if (refused) throw refused;
        if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') throw new OptimisticConflict();
        throw error;
      }
      return { grant, created: existing === null };
    });
  },

  /**
   * Revokes the grant (both items); false when there was none. `release` (the delegates
   * quota) goes in the same transaction; NothingToRelease when its count is absent.
   */
  async remove(
    practitionerId: string,
    assistantId: string,
    release: readonly GuardedItem[] = [],
  ): Promise<boolean> {
    try {
      await db.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: db.tableName,
                Key: delegateKeys.grant(practitionerId, assistantId),
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
            { Delete: { TableName: db.tableName, Key: delegateKeys.mirror(assistantId, practitionerId) } },
            ...release.map((guard) => guard.item),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') return false;
      throw guardRefusal(error, release, 2) ?? error;
    }
  },

  /** The practitioner's delegates: one Query of the grants' partition. */
  listByPractitioner(practitionerId: string, page: PageRequest): Promise<Page<DelegateGrant>> {
    return queryPage(
      db,
      { partition: { attribute: 'pk', value: delegateKeys.grantPartition(practitionerId) } },
      page,
      delegateGrantOf,
    );
  },

  /** Whom the assistant works for: one Query of the mirrors' partition. */
  listByAssistant(assistantId: string, page: PageRequest): Promise<Page<DelegateGrant>> {
    return queryPage(
      db,
      { partition: { attribute: 'pk', value: delegateKeys.mirrorPartition(assistantId) } },
      page,
      delegateGrantOf,
    );
  },
});

export type DelegateRepository = ReturnType<typeof createDelegateRepository>;
