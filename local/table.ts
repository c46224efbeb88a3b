/**
 * Creates the single table from shared/db/table-definition.ts (the same keys and
 * indexes the CDK stack deploys) and waits until it is ACTIVE.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  IDEMPOTENCY_TABLE,
  INDEXES,
  type IndexProjection,
  KEY_ATTRIBUTES,
  TABLE_STREAM_VIEW_TYPE,
} from '../shared/db/table-definition.ts';

/** What the stream carries: the new image is all the outbox publisher needs (shared/db/table-definition.ts). */
const TABLE_STREAM_VIEW = TABLE_STREAM_VIEW_TYPE;

/** DynamoDB Local ignores TTL, but the setting is recorded like in production. */
export const TTL_ATTRIBUTE = 'expiresAt';

const projectionOf = (projection: IndexProjection) =>
  projection.type === 'INCLUDE'
    ? { ProjectionType: projection.type, NonKeyAttributes: [...projection.attributes] }
    : { ProjectionType: projection.type };

export const createTableInput = (
  tableName: string,
  options: { stream?: boolean } = {},
): CreateTableCommandInput => {
  const [partitionKey, sortKey] = KEY_ATTRIBUTES;
  const attributes = new Set<string>([partitionKey, sortKey]);
  for (const index of INDEXES) {
    attributes.add(index.partitionKey);
    attributes.add(index.sortKey);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    // The transactional outbox is read from here (functions/outbox-publisher), as in AWS.
    ...(options.stream !== false && {
      StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE_STREAM_VIEW },
    }),
    GlobalSecondaryIndexes: INDEXES.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: projectionOf(index.projection),
    })),
  };
};

const waitUntilActive = async (
  client: DynamoDBClient,
  tableName: string,
  timeoutMs: number,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (Date.now() > deadline) throw new Error(`Table ${tableName} is not ACTIVE after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** Creates the table if missing; answers whether it had to. */
export const ensureTable = async (
  client: DynamoDBClient,
  tableName: string,
  /**
   * `stream: false` for tables nobody reads the stream of (the integration tests, which see
   * the outbox through local/outbox-observer.ts): DynamoDB Local's streams slow every write
   * of every table while many tests write at once.
   */
  options: { timeoutMs?: number; stream?: boolean } = {},
): Promise<'created' | 'existing'> => {
  let outcome: 'created' | 'existing' = 'existing';
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName, options)));
      outcome = 'created';
    } catch (createError) {
      // Someone else created it between our describe and create: fine.
      if (!(createError instanceof ResourceInUseException)) throw createError;
    }
  }
  await waitUntilActive(client, tableName, options.timeoutMs ?? 30_000);
  if (outcome === 'existing') await ensureIndexes(client, tableName, options.timeoutMs ?? 30_000);
  if (options.stream !== false) await ensureStream(client, tableName, options.timeoutMs ?? 30_000);
  if (outcome === 'created') {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  }
  return outcome;
};

/** A table created before an index was added (a kept .local-data folder) gets it, as a CDK deploy would. */
const ensureIndexes = async (client: DynamoDBClient, tableName: string, timeoutMs: number): Promise<void> => {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  // One index per UpdateTable, as DynamoDB (and CloudFormation) require.
  for (const index of INDEXES.filter((i) => !present.has(i.name))) {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [index.partitionKey, index.sortKey].map((name) => ({
          AttributeName: name,
          AttributeType: 'S',
        })),
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: index.name,
              KeySchema: [
                { AttributeName: index.partitionKey, KeyType: 'HASH' },
                { AttributeName: index.sortKey, KeyType: 'RANGE' },
              ],
              Projection: projectionOf(index.projection),
            },
          },
        ],
      }),
    );
    await waitUntilActive(client, tableName, timeoutMs);
  }
};

/** A table created before the outbox (a kept .local-data folder) gets its stream. */
const ensureStream = async (client: DynamoDBClient, tableName: string, timeoutMs: number): Promise<void> => {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (Table?.StreamSpecification?.StreamEnabled) return;
  await client.send(
    new UpdateTableCommand({
      TableName: tableName,
      StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE_STREAM_VIEW },
    }),
  );
  await waitUntilActive(client, tableName, timeoutMs);
};

/**
 * The idempotency table next to `tableName` (`<table>-idempotency`, as in AWS):
 * Powertools' layout, a string `id` key and TTL on `expiration`.
 */
export const ensureIdempotencyTable = async (
  client: DynamoDBClient,
  tableName: string,
  options: { timeoutMs?: number } = {},
): Promise<string> => {
  const name = IDEMPOTENCY_TABLE.nameFor(tableName);
  let created = false;
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: IDEMPOTENCY_TABLE.partitionKey, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: IDEMPOTENCY_TABLE.partitionKey, KeyType: 'HASH' }],
        }),
      );
      created = true;
    } catch (createError) {
      if (!(createError instanceof ResourceInUseException)) throw createError;
    }
  }
  await waitUntilActive(client, name, options.timeoutMs ?? 30_000);
  if (created) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: IDEMPOTENCY_TABLE.ttlAttribute, Enabled: true },
      }),
    );
  }
  return name;
};

export const deleteTable = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
};
