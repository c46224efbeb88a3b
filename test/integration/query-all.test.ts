/**
 * queryAll and queryCount (shared/db/query-page.ts), the one loop over Query pages the
 * repositories share, on DynamoDB Local: every page by default, and the three ways a read
 * stops early (`want`, `until`) or starts late (`start`), counted in requests and their Limit.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../shared/db/client.ts';
import { type QueryInput, queryAll, queryCount } from '../../shared/db/query-all.ts';
import { newTable } from './harness.ts';

const PK = 'QUERYALL#test';
const BIG_PK = 'QUERYALL#big';
const sk = (n: number) => `ITEM#${String(n).padStart(2, '0')}`;

let db: Db;
/** The Limit and start key of every Query sent, in order, and how many items it returned. */
const sent: { limit: number | undefined; start: unknown; returned: number }[] = [];

const put = async (items: Record<string, unknown>[]) => {
  for (let i = 0; i < items.length; i += 25) {
    const requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    await db.client.send(new BatchWriteCommand({ RequestItems: { [db.tableName]: requests } }));
  }
};

beforeAll(async () => {
  db = await newTable();
  // Ten small items, every other one flagged; eight of ~300 KB, more than one 1 MB page holds.
  await put(Array.from({ length: 10 }, (_, n) => ({ pk: PK, sk: sk(n), n, flagged: n % 2 === 0 })));
  await put(Array.from({ length: 8 }, (_, n) => ({ pk: BIG_PK, sk: sk(n), n, filler: 'x'.repeat(300_000) })));
  db.client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { Limit?: number; ExclusiveStartKey?: unknown };
      const result = await next(args);
      const output = result.output as { Items?: unknown[] };
      sent.push({ limit: input.Limit, start: input.ExclusiveStartKey, returned: output.Items?.length ?? 0 });
      return result;
    },
    { step: 'initialize', name: 'record-query-pages' },
  );
});

const partition = (pk: string, rest: Partial<QueryInput> = {}): QueryInput => ({
  KeyConditionExpression: 'pk = :pk',
  ExpressionAttributeValues: { ':pk': pk },
  ...rest,
});

/** What `read` sends: the requests, from a clean record. */
const requestsOf = async <T>(read: () => Promise<T>) => {
  sent.length = 0;
  const result = await read();
  return { result, requests: [...sent] };
};

describe('queryAll', () => {
  it('reads every page, each after the last one stopped', async () => {
    const { result, requests } = await requestsOf(() =>
      queryAll(db, partition(PK, { Limit: 3 }), (item) => item.n),
    );
    expect(result).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // 3 + 3 + 3 + 1: the fourth page ends the partition (a full last page would cost one empty page more).
    expect(requests.map((r) => r.limit)).toEqual([3, 3, 3, 3]);
    expect(requests.map((r) => r.start)).toEqual([
      undefined,
      { pk: PK, sk: sk(2) },
      { pk: PK, sk: sk(5) },
      { pk: PK, sk: sk(8) },
    ]);
  });

  it('`start`: begins after that key', async () => {
    const { result } = await requestsOf(() =>
      queryAll(db, partition(PK), (item) => item.n, { start: { pk: PK, sk: sk(6) } }),
    );
    expect(result).toEqual([7, 8, 9]);
  });

  it('`until`: stops after the page on which it holds', async () => {
    const { result, requests } = await requestsOf(() =>
      queryAll(db, partition(PK, { Limit: 2 }), (item) => item.sk as string, {
        until: (found) => (found.at(-1) ?? '') >= sk(4),
      }),
    );
    expect(result).toEqual([sk(0), sk(1), sk(2), sk(3), sk(4), sk(5)]);
    expect(requests).toHaveLength(3);
  });

  it('`want`: asks each page for the items still missing, none once they are found', async () => {
    // Small items: one page of exactly the number wanted.
    const small = await requestsOf(() => queryAll(db, partition(PK), (item) => item.n, { want: 4 }));
    expect(small.result).toEqual([0, 1, 2, 3]);
    expect(small.requests.map((r) => r.limit)).toEqual([4]);
    // Items of ~300 KB: 1 MB cuts the first page short, the next asks only for the ones left.
    const big = await requestsOf(() => queryAll(db, partition(BIG_PK), (item) => item.n, { want: 6 }));
    expect(big.result).toEqual([0, 1, 2, 3, 4, 5]);
    const [first, second] = big.requests;
    expect(first).toMatchObject({ limit: 6 });
    expect(first?.returned).toBeLessThan(6);
    expect(second).toMatchObject({ limit: 6 - (first?.returned ?? 0) });
    // Found them all with items left in the partition: no third page.
    expect(big.requests).toHaveLength(2);
    // Fewer items than wanted: every page, to the partition's end.
    const all = await requestsOf(() => queryAll(db, partition(BIG_PK), (item) => item.n, { want: 20 }));
    expect(all.result).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(all.requests.map((r) => r.limit)).toEqual([20, 20 - (all.requests[0]?.returned ?? 0)]);
  });
});

describe('queryCount', () => {
  it('counts over every page (Select COUNT), a filter applied', async () => {
    const counted = await requestsOf(() => queryCount(db, partition(PK, { Limit: 3 })));
    expect(counted.result).toBe(10);
    expect(counted.requests).toHaveLength(4);
    const flagged = await queryCount(
      db,
      partition(PK, {
        FilterExpression: 'flagged = :yes',
        ExpressionAttributeValues: { ':pk': PK, ':yes': true },
        Limit: 3,
      }),
    );
    expect(flagged).toBe(5);
    // Counted, not read back: no item comes out of a COUNT Query, even past 1 MB.
    expect(await queryCount(db, partition(BIG_PK))).toBe(8);
  });
});
