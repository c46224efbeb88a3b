import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { DEFAULT_SETTINGS, type PractitionerSettings } from '../domain/settings.ts';

const withDefaults = (item: Record<string, unknown> | undefined): PractitionerSettings => {
  const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const field of Object.keys(DEFAULT_SETTINGS)) {
    if (item?.[field] !== undefined) settings[field] = item[field];
  }
  return settings as unknown as PractitionerSettings;
};

export const createSettingsRepository = (db: Db) => ({
  async get(practitionerId: string): Promise<PractitionerSettings> {
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.practitionerSettings(practitionerId) }),
    );
    return withDefaults(Item);
  },

  /** Sets only the given top-level fields in one UpdateItem, so concurrent PATCHes of different fields both stick. */
  async update(
    practitionerId: string,
    changes: Partial<PractitionerSettings>,
    now: string,
  ): Promise<PractitionerSettings> {
    const names: Record<string, string> = { '#updatedAt': 'updatedAt', '#entity': 'entity' };
    const values: Record<string, unknown> = { ':updatedAt': now, ':entity': 'PractitionerSettings' };
    const sets = ['#updatedAt = :updatedAt', '#entity = :entity'];
    Object.entries(changes).forEach(([field, value], i) => {
      names[`#f${i}`] = field;
      values[`:v${i}`] = value;
      sets.push(`#f${i} = :v${i}`);
    });
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
});

export type SettingsRepository = ReturnType<typeof createSettingsRepository>;
