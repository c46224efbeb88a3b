/**
 * Vitest globalSetup for the integration and e2e projects: starts ONE in-memory
 * DynamoDB Local on a free port for the whole run and provides its endpoint:
 *
 *   import { inject } from 'vitest';
 *   const endpoint = inject('dynamoDbEndpoint');   // or dynamoDbEndpoint() from ./dynamodb.ts
 *
 * Both projects list this file, and Vitest runs a project's globalSetup once per
 * project, so the JVM is shared through a reference count on globalThis (the
 * setups run in the main Vitest process). The last teardown kills it; an
 * orphan guard (see local/dynamodb-local.ts) kills it even if Vitest dies.
 * DYNAMODB_ENDPOINT_FOR_TESTS=http://... reuses a running DynamoDB instead.
 */
import type { TestProject } from 'vitest/node';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoDbEndpoint: string;
  }
}

interface Shared {
  users: number;
  started: Promise<DynamoDbLocal | { endpoint: string; stop(): Promise<void> }>;
}

const KEY = Symbol.for('patient-messaging.test.dynamodb-local');
const registry = globalThis as unknown as Record<symbol, Shared | undefined>;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let shared = registry[KEY];
  if (!shared) {
    const external = process.env.DYNAMODB_ENDPOINT_FOR_TESTS;
    shared = {
      users: 0,
      started: external
        ? Promise.resolve({ endpoint: external, stop: async () => {} })
        : startDynamoDbLocal({ readyTimeoutMs: 60_000 }),
    };
    registry[KEY] = shared;
  }
  shared.users += 1;
  let dynamo: Awaited<Shared['started']>;
  try {
    dynamo = await shared.started;
  } catch (error) {
    registry[KEY] = undefined;
    throw error;
  }
  project.provide('dynamoDbEndpoint', dynamo.endpoint);

  let tornDown = false;
  return async () => {
    if (tornDown) return;
    tornDown = true;
    const current = registry[KEY];
    if (!current) return;
    current.users -= 1;
    if (current.users <= 0) {
      registry[KEY] = undefined;
      await dynamo.stop();
    }
  };
}
