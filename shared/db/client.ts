import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface Db {
  client: DynamoDBDocumentClient;
  tableName: string;
}

export type DocumentClientHook = (client: DynamoDBDocumentClient) => void;

const documentClientHooks = new Set<DocumentClientHook>();

/**
 * Instrumentation for the benchmark and the fuzz suite (never used by a function):
 * `hook` sees every document client created from now on, e.g. to add an SDK
 * middleware that counts round-trips. Returns the function that removes it.
 */
export const instrumentDocumentClients = (hook: DocumentClientHook): (() => void) => {
  documentClientHooks.add(hook);
  return () => documentClientHooks.delete(hook);
};

/** A raw DynamoDB client; `endpoint` is only set for DynamoDB Local. */
export const createDynamoDbClient = (options: { endpoint?: string; region?: string } = {}): DynamoDBClient =>
  new DynamoDBClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    maxAttempts: 5,
  });

/** The document client the repositories use, over a raw client (so callers can decorate the raw one first). */
export const documentClientOver = (client: DynamoDBClient): DynamoDBDocumentClient => {
  const document = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  for (const hook of documentClientHooks) hook(document);
  return document;
};

/** One document client per process; `endpoint` is only set for DynamoDB Local. */
export const createDocumentClient = (
  options: { endpoint?: string; region?: string } = {},
): DynamoDBDocumentClient => documentClientOver(createDynamoDbClient(options));
