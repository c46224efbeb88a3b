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

/** One document client per process; `endpoint` is only set for DynamoDB Local. */
export const createDocumentClient = (
  options: { endpoint?: string; region?: string } = {},
): DynamoDBDocumentClient => {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.region ? { region: options.region } : {}),
      maxAttempts: 5,
    }),
    { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } },
  );
  for (const hook of documentClientHooks) hook(client);
  return client;
};
