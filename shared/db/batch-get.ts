import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from './client.ts';
import type { ItemKey } from './keys.ts';

/** BatchGetItem takes 100 keys per call. */
const MAX_KEYS = 100;
/** Unprocessed keys (throttling) are asked again this many times before giving up. */
const MAX_ATTEMPTS = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const idOf = (key: { pk?: unknown; sk?: unknown }) => `${String(key.pk)}|${String(key.sk)}`;

/**
 * The items at `keys` (absent ones are simply missing from the map, keyed "pk|sk"):
 * BatchGetItem by 100 keys, unprocessed keys asked again. One round-trip for up to
 * 100 keys of any item kinds — what lets a write read all it decides on at once.
 */
export const batchGet = async (
  db: Db,
  keys: readonly ItemKey[],
  options: { consistent?: boolean } = {},
): Promise<Map<string, Record<string, unknown>>> => {
  const unique = [...new Map(keys.map((key) => [idOf(key), key])).values()];
  const found = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < unique.length; i += MAX_KEYS) {
    let requested: Record<string, unknown>[] = unique.slice(i, i + MAX_KEYS).map((key) => ({ ...key }));
    for (let attempt = 0; requested.length > 0 && attempt < MAX_ATTEMPTS; attempt++) {
      // Unprocessed keys mean throttling: back off before asking again (as the SDKs advise).
      if (attempt > 0) await sleep(Math.min(1_000, 10 * 2 ** attempt) * Math.random());
      const result = await db.client.send(
        new BatchGetCommand({
          RequestItems: {
            [db.tableName]: { Keys: requested, ...(options.consistent && { ConsistentRead: true }) },
          },
        }),
      );
      for (const item of result.Responses?.[db.tableName] ?? []) found.set(idOf(item), item);
      requested = result.UnprocessedKeys?.[db.tableName]?.Keys ?? [];
    }
    if (requested.length > 0) throw new Error('BatchGetItem left keys unprocessed');
  }
  return found;
};

export const batchGetId = idOf;
