import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Db } from './client.ts';
import { type CursorScope, decodeCursor, encodeCursor } from './cursor.ts';

export interface PageRequest {
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * One page of a Query on a single partition (of the table or of an index),
 * with an opaque, signed cursor that is only accepted back by that same query
 * (index, partition and sort-key prefix: shared/db/cursor.ts). It asks
 * for one item more than the page holds: that tells whether another page exists,
 * so the last page answers `nextCursor: null` instead of an empty extra page.
 */
export const queryPage = async <T>(
  db: Db,
  query: CursorScope & { newestFirst?: boolean },
  page: PageRequest,
  map: (item: Record<string, unknown>) => T,
): Promise<Page<T>> => {
  const { indexName, partition, skPrefix } = query;
  const input: QueryCommandInput = {
    TableName: db.tableName,
    ...(indexName && { IndexName: indexName }),
    KeyConditionExpression: skPrefix ? '#pk = :pk AND begins_with(sk, :prefix)' : '#pk = :pk',
    ExpressionAttributeNames: { '#pk': partition.attribute },
    ExpressionAttributeValues: { ':pk': partition.value, ...(skPrefix && { ':prefix': skPrefix }) },
    ScanIndexForward: !query.newestFirst,
    Limit: page.limit + 1,
    ExclusiveStartKey: decodeCursor(page.cursor, query),
  };
  const items = (await db.client.send(new QueryCommand(input))).Items ?? [];
  const pageItems = items.slice(0, page.limit);
  const last = pageItems.at(-1);
  const nextCursor = items.length > page.limit && last ? encodeCursor(last, query) : null;
  return { items: pageItems.map(map), nextCursor };
};
