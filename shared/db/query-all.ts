/**
 * Queries read to the end (or to a bound), in a module of their own: shared/db/query-page.ts (the API's
 * cursor pages) loads the cursor signing key at import, which scripts such as `npm run audit:verify` do
 * not have.
 */
import { QueryCommand, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { Db } from './client.ts';

/** A Query as queryAll and queryCount take it: the table and the start key are theirs to set. */
export type QueryInput = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>;

/**
 * The one paging loop: each page read from where the last one stopped (its LastEvaluatedKey: the 1 MB
 * cut or the Limit), until DynamoDB has no more or `more` says enough was read.
 */
const eachPage = async (
  db: Db,
  input: QueryInput,
  onPage: (page: QueryCommandOutput) => void,
  walk: { start?: Record<string, unknown>; limit?: () => number; more?: () => boolean } = {},
): Promise<void> => {
  let startKey = walk.start;
  do {
    const page = await db.client.send(
      new QueryCommand({
        ...input,
        ...(walk.limit && { Limit: walk.limit() }),
        TableName: db.tableName,
        ExclusiveStartKey: startKey,
      }),
    );
    onPage(page);
    startKey = page.LastEvaluatedKey;
  } while (startKey && (walk.more?.() ?? true));
};

/** How far queryAll reads; without options, every page. */
export interface QueryAllOptions<T> {
  /** Start after this key (where an earlier read stopped) instead of at the top of the range. */
  start?: Record<string, unknown>;
  /**
   * At most this many items: each page asks only for those still missing (its Limit), and no page
   * is read once they are all found. For reads that must stay bounded even when 1 MB cuts a page short.
   */
  want?: number;
  /** Stop after the page on which this holds of the items found so far (e.g. a key reached). */
  until?: (found: readonly T[]) => boolean;
}

/**
 * Every item of a Query, page after page (a partition known to stay small: a user's connections, a
 * practitioner's delegates, a range of days), or up to what `options` asks.
 */
export const queryAll = async <T>(
  db: Db,
  input: QueryInput,
  map: (item: Record<string, unknown>) => T,
  options: QueryAllOptions<T> = {},
): Promise<T[]> => {
  const { start, want, until } = options;
  const found: T[] = [];
  await eachPage(db, input, (page) => found.push(...(page.Items ?? []).map(map)), {
    start,
    limit: want === undefined ? undefined : () => want - found.length,
    more: () => !(want !== undefined && found.length >= want) && !until?.(found),
  });
  return found;
};

/** How many items a Query matches, over all its pages (Select COUNT: the keys are read, nothing is returned). */
export const queryCount = async (db: Db, input: Omit<QueryInput, 'Select'>): Promise<number> => {
  let count = 0;
  await eachPage(db, { ...input, Select: 'COUNT' }, (page) => {
    count += page.Count ?? 0;
  });
  return count;
};
