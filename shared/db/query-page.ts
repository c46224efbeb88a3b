import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Db } from './client.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';

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
 * with an opaque cursor that is only accepted back on that partition. It asks
 * for one item more than the page holds: that tells whether another page exists,
 * so the last page answers `nextCursor: null` instead of an empty extra page.
 */
export const queryPage = async <T>(
  db: Db,
  query: {
    indexName?: string;
    /** The partition key attribute and value of the table or index queried. */
    partition: { attribute: string; value: string };
    /** Only sort keys starting with this (on the table's `sk`). */
    skPrefix?: string;
    newestFirst?: boolean;
  },
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
    ExclusiveStartKey: decodeCursor(page.cursor, partition),
  };
  const items = (await db.client.send(new QueryCommand(input))).Items ?? [];
  const pageItems = items.slice(0, page.limit);
  const last = pageItems.at(-1);
  const nextCursor =
    items.length > page.limit && last
      ? encodeCursor({
          pk: last.pk,
          sk: last.sk,
          ...(indexName && {
            [`${indexName}pk`]: last[`${indexName}pk`],
            [`${indexName}sk`]: last[`${indexName}sk`],
          }),
        })
      : null;
  return { items: pageItems.map(map), nextCursor };
};
