/**
 * The local stack keeps its table between runs (.local-data): an index added to
 * shared/db/table-definition.ts since it was created is added to it on start, as
 * a CDK deploy adds it to the deployed table.
 *
 * On a DynamoDB Local of its own: while the whole suite shares one instance, its
 * backfill of an added index does not finish (seen in CI), as on a kept table
 * nothing else is running.
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { startDynamoDbLocal } from '../../local/dynamodb-local.ts';
import { createTableInput, deleteTable, ensureTable } from '../../local/table.ts';
import { INDEXES } from '../../shared/db/table-definition.ts';

it('adds the indexes a kept table lacks, with their declared projections', async () => {
  const dynamo = await startDynamoDbLocal({ readyTimeoutMs: 60_000 });
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-3',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const tableName = `it-kept-${randomUUID()}`;
  const before = createTableInput(tableName, { stream: false });
  // A table from before gsi6 (the sharded keys-only notification queues).
  await client.send(
    new CreateTableCommand({
      ...before,
      AttributeDefinitions: before.AttributeDefinitions?.filter((a) => !a.AttributeName?.startsWith('gsi6')),
      GlobalSecondaryIndexes: before.GlobalSecondaryIndexes?.filter((index) => index.IndexName !== 'gsi6'),
    }),
  );
  try {
    expect(await ensureTable(client, tableName, { stream: false, timeoutMs: 170_000 })).toBe('existing');
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    expect(indexes.map((index) => index.IndexName).sort()).toEqual(INDEXES.map((index) => index.name).sort());
    expect(indexes.find((index) => index.IndexName === 'gsi6')?.Projection?.ProjectionType).toBe('KEYS_ONLY');
  } finally {
    await deleteTable(client, tableName);
    await dynamo.stop();
  }
  // DynamoDB Local builds an added index slowly while the whole suite shares it: no tight bound here.
}, 200_000);
