/**
 * DynamoDB for integration/e2e tests: a fresh, uniquely named table on the run's
 * shared DynamoDB Local (started by test/support/global-setup.ts), created from
 * shared/db/table-definition.ts like the real one.
 *
 *   dynamoDbEndpoint(): string
 *   createTestTable(options?: { prefix?: string }): Promise<TestTable>
 *     → { tableName, endpoint, client: DynamoDBClient, doc: DynamoDBDocumentClient, drop() }
 *
 *   const table = await createTestTable();
 *   await table.doc.send(new PutCommand({ TableName: table.tableName, Item: {...} }));
 *   afterAll(() => table.drop());
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { LOCAL_REGION } from '../../local/constants.ts';
import { deleteTable, ensureTable } from '../../local/table.ts';
import { IDEMPOTENCY_TABLE } from '../../shared/db/table-definition.ts';

export interface TestTable {
  tableName: string;
  endpoint: string;
  client: DynamoDBClient;
  /** Document client with the project's marshalling options (undefined values removed). */
  doc: DynamoDBDocumentClient;
  /** Deletes the table and closes the clients. */
  drop(): Promise<void>;
}

/** The shared DynamoDB Local endpoint of this test run. */
export const dynamoDbEndpoint = (): string => {
  const endpoint = inject('dynamoDbEndpoint') ?? process.env.DYNAMODB_ENDPOINT_FOR_TESTS;
  if (!endpoint) {
    throw new Error(
      'No DynamoDB Local for this test: run it in the integration or e2e project (vitest --project e2e), ' +
        'whose globalSetup starts one, or set DYNAMODB_ENDPOINT_FOR_TESTS.',
    );
  }
  return endpoint;
};

export const createTestTable = async (options: { prefix?: string } = {}): Promise<TestTable> => {
  const endpoint = dynamoDbEndpoint();
  const tableName = `${options.prefix ?? 'test'}-${randomUUID()}`;
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureTable(client, tableName);
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return {
    tableName,
    endpoint,
    client,
    doc,
    drop: async () => {
      await deleteTable(client, tableName);
      // The local stack creates `<table>-idempotency` next to it (a no-op when it did not).
      await deleteTable(client, IDEMPOTENCY_TABLE.nameFor(tableName));
      client.destroy();
    },
  };
};
