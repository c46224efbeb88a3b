import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { inboxReopenKeys, keys } from '../db/keys.ts';
import {
  isConditionalCheckFailed,
  OptimisticConflict,
  type TransactItem,
  writeWith,
} from '../db/transactions.ts';
import { DEFAULT_SETTINGS, type PractitionerSettings, type SettingsPatch } from '../domain/settings.ts';
import { NOTIFY_ATTRIBUTES, notificationMirrorUpdate } from './notification-repository.ts';

const withDefaults = (item: Record<string, unknown> | undefined): PractitionerSettings => {
  const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const field of Object.keys(DEFAULT_SETTINGS)) {
    if (item?.[field] !== undefined) settings[field] = item[field];
  }
  // Stored flat (notifyMode…) so a PATCH of one notification field never overwrites another.
  const notifications = { ...DEFAULT_SETTINGS.notifications };
  for (const [field, attribute] of Object.entries(NOTIFY_ATTRIBUTES)) {
    if (item?.[attribute] !== undefined && item[attribute] !== null) {
      (notifications as Record<string, unknown>)[field] = item[attribute];
    }
  }
  // Without an address of their own, notifications go to the settings email.
  notifications.email ??= (settings.email as string | null) ?? null;
  settings.notifications = notifications;
  return settings as unknown as PractitionerSettings;
};

const versionOf = (item: Record<string, unknown> | undefined): number | null =>
  typeof item?.controlsVersion === 'number' ? item.controlsVersion : null;

/** The settings an item holds (defaults where it says nothing), with its controls version. */
export const settingsOf = (
  item: Record<string, unknown> | undefined,
): { settings: PractitionerSettings; version: number | null } => ({
  settings: withDefaults(item),
  version: versionOf(item),
});

export const createSettingsRepository = (db: Db) => {
  const get = async (practitionerId: string): Promise<PractitionerSettings> => {
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.practitionerSettings(practitionerId) }),
    );
    return withDefaults(Item);
  };
  return {
    get,

    /**
     * Sets only the given fields in one UpdateItem, so concurrent PATCHes of different fields both stick;
     * `notifications` fields are flat attributes, so they merge the same way.
     */
    async update(practitionerId: string, changes: SettingsPatch, now: string): Promise<PractitionerSettings> {
      const names: Record<string, string> = { '#updatedAt': 'updatedAt', '#entity': 'entity' };
      const values: Record<string, unknown> = { ':updatedAt': now, ':entity': 'PractitionerSettings' };
      const sets = ['#updatedAt = :updatedAt', '#entity = :entity'];
      const { notifications = {}, ...topLevel } = changes;
      const fields: [string, unknown][] = [
        ...Object.entries(topLevel),
        ...Object.entries(notifications).map(([field, value]): [string, unknown] => [
          NOTIFY_ATTRIBUTES[field as keyof typeof NOTIFY_ATTRIBUTES],
          value,
        ]),
      ];
      fields.forEach(([field, value], i) => {
        names[`#f${i}`] = field;
        values[`:v${i}`] = value;
        sets.push(`#f${i} = :v${i}`);
      });
      // Mode and threshold are mirrored on the counters item in the same transaction (notification-repository.ts).
      const mirror = notificationMirrorUpdate(db, practitionerId, notifications);
      if (mirror) {
        await db.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: db.tableName,
                  Key: keys.practitionerSettings(practitionerId),
                  UpdateExpression: `SET ${sets.join(', ')}`,
                  ExpressionAttributeNames: names,
                  ExpressionAttributeValues: values,
                },
              },
              mirror,
            ],
          }),
        );
        const { Item } = await db.client.send(
          new GetCommand({
            TableName: db.tableName,
            Key: keys.practitionerSettings(practitionerId),
            ConsistentRead: true,
          }),
        );
        return withDefaults(Item);
      }
      const { Attributes } = await db.client.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: keys.practitionerSettings(practitionerId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return withDefaults(Attributes);
    },

    /**
     * The settings with their `controlsVersion`, strongly consistent: a control
     * change is decided on them and conditioned on that version (`updateControls`).
     */
    async getVersioned(
      practitionerId: string,
    ): Promise<{ settings: PractitionerSettings; version: number | null }> {
      const { Item } = await db.client.send(
        new GetCommand({
          TableName: db.tableName,
          Key: keys.practitionerSettings(practitionerId),
          ConsistentRead: true,
        }),
      );
      return { settings: withDefaults(Item), version: versionOf(Item) };
    },

    /**
     * Writes control fields in one UpdateItem conditioned on the version they were
     * decided on, bumps that version (so in-flight patient writes re-decide) and
     * keeps the reopening queue keys in step: present exactly while closed with a
     * date. Throws OptimisticConflict when another writer got there first.
     */
    async updateControls(
      practitionerId: string,
      changes: Partial<PractitionerSettings>,
      options: { expectedVersion: number | null; closedUntil: string | null; now: string },
      withItems: readonly TransactItem[] = [],
    ): Promise<void> {
      const names: Record<string, string> = {
        '#updatedAt': 'updatedAt',
        '#entity': 'entity',
        '#version': 'controlsVersion',
        '#gsi5pk': 'gsi5pk',
        '#gsi5sk': 'gsi5sk',
      };
      const values: Record<string, unknown> = {
        ':updatedAt': options.now,
        ':entity': 'PractitionerSettings',
        ':nextVersion': (options.expectedVersion ?? 0) + 1,
      };
      const sets = ['#updatedAt = :updatedAt', '#entity = :entity', '#version = :nextVersion'];
      Object.entries(changes).forEach(([field, value], i) => {
        names[`#f${i}`] = field;
        values[`:v${i}`] = value;
        sets.push(`#f${i} = :v${i}`);
      });
      let removes = '';
      if (options.closedUntil) {
        const index = inboxReopenKeys.index(practitionerId, options.closedUntil);
        values[':gsi5pk'] = index.gsi5pk;
        values[':gsi5sk'] = index.gsi5sk;
        sets.push('#gsi5pk = :gsi5pk', '#gsi5sk = :gsi5sk');
      } else {
        removes = ' REMOVE #gsi5pk, #gsi5sk';
      }
      if (options.expectedVersion !== null) values[':expectedVersion'] = options.expectedVersion;
      try {
        await writeWith(
          db,
          {
            Update: {
              TableName: db.tableName,
              Key: keys.practitionerSettings(practitionerId),
              UpdateExpression: `SET ${sets.join(', ')}${removes}`,
              ConditionExpression:
                options.expectedVersion === null
                  ? 'attribute_not_exists(#version)'
                  : '#version = :expectedVersion',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            },
          },
          withItems,
        );
      } catch (error) {
        if (isConditionalCheckFailed(error)) throw new OptimisticConflict();
        throw error;
      }
    },

    /** Closures whose reopening date is at or before `now`: Query on the sparse gsi5 partition, oldest first. */
    async listDueReopenings(
      now: string,
      limit: number,
      startKey?: Record<string, unknown>,
    ): Promise<{
      items: { practitionerId: string; reopensAt: string }[];
      lastKey?: Record<string, unknown>;
    }> {
      const page = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          IndexName: 'gsi5',
          KeyConditionExpression: 'gsi5pk = :pk AND gsi5sk <= :upTo',
          ExpressionAttributeValues: {
            ':pk': inboxReopenKeys.partition,
            ':upTo': inboxReopenKeys.dueUpTo(now),
          },
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      );
      return {
        items: (page.Items ?? [])
          .filter((item) => typeof item.reopensAt === 'string')
          .map((item) => ({
            practitionerId: (item.pk as string).slice('PRAC#'.length),
            reopensAt: item.reopensAt as string,
          })),
        lastKey: page.LastEvaluatedKey,
      };
    },

    /**
     * Reopens a closure that is due, in one conditional UpdateItem: only if it is
     * still closed until that very date, so concurrent sweeps (or a practitioner
     * changing their mind meanwhile) reopen it at most once. true = this call did.
     */
    async reopenIfDue(
      practitionerId: string,
      reopensAt: string,
      now: string,
      withItems: readonly TransactItem[] = [],
    ): Promise<boolean> {
      try {
        await writeWith(
          db,
          {
            Update: {
              TableName: db.tableName,
              Key: keys.practitionerSettings(practitionerId),
              UpdateExpression:
                'SET inboxOpen = :true, reopensAt = :null, updatedAt = :now ADD controlsVersion :one REMOVE gsi5pk, gsi5sk',
              ConditionExpression: 'inboxOpen = :false AND reopensAt = :due',
              ExpressionAttributeValues: {
                ':true': true,
                ':false': false,
                ':null': null,
                ':due': reopensAt,
                ':now': now,
                ':one': 1,
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
  };
};

export type SettingsRepository = ReturnType<typeof createSettingsRepository>;
