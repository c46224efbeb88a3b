/**
 * Idempotent writes with Powertools Idempotency and its DynamoDB persistence
 * layer, on a table of its own (`<table>-idempotency`, see
 * shared/db/table-definition.ts IDEMPOTENCY_TABLE and docs/data-model.md).
 *
 * A route declares `idempotent: true` (functions/<name>/function.ts) and its
 * handler passes `{ idempotency: idempotentWrites }` to httpRoute (shared/http/route.ts). For a request carrying an `Idempotency-Key` header:
 *
 * - the record's key is a SHA-256 of [caller sub, route key, header value]:
 *   two callers (or two routes) never share a record, and neither the sub nor
 *   the key is stored in clear;
 * - the validated path, query and body are hashed too: the same key with a
 *   different request is refused (422 IDEMPOTENCY_KEY_REUSED);
 * - the first run writes an INPROGRESS record (conditional Put), runs the use
 *   case, then stores its response (status + body) for 24 hours; a retry gets
 *   that response back and runs nothing;
 * - a retry that arrives while the first run is still in progress waits for it
 *   (polling, up to `waitForInProgressMs`) and answers the same response; past
 *   that it is a 409 CONFLICT "retry in a moment" — the client's retry then
 *   finds the stored answer;
 * - a run that fails (a refusal, a crash) deletes its record: nothing was
 *   written, so a retry runs again and may now succeed. Only successes are
 *   replayed. A Lambda that dies mid-run leaves an INPROGRESS record that
 *   Powertools lets a retry take over once the function's remaining time at the
 *   start has passed.
 */
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { ENV, optionalEnv, requireEnv } from '../config.ts';
import { createDynamoDbClient } from '../db/client.ts';
import { IDEMPOTENCY_TABLE } from '../db/table-definition.ts';
import { Conflict, IdempotencyKeyReused } from '../domain/errors.ts';
import type { IdempotencyAdapter, IdempotencyStore, IdempotentRequest, StoredResponse } from './route.ts';

/** How long a stored first response answers retries (Stripe's choice too: a day covers any client's retries). */
export const IDEMPOTENCY_RECORD_TTL_SECONDS = 24 * 60 * 60;

/** Route handlers run behind a 10 s Lambda timeout: wait at most this long for an in-flight first request. */
export const IN_PROGRESS_WAIT_MS = 5_000;

/** Constant (the route key is in the hashed data), so concurrent invocations never reconfigure the layer. */
const KEY_PREFIX = 'http';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface IdempotencyOptions {
  /** The persistence layer, created on first use (one per process). */
  persistence: () => BasePersistenceLayer;
  waitForInProgressMs?: number;
}

export const powertoolsIdempotency = (options: IdempotencyOptions): IdempotencyStore => ({
  async run(request: IdempotentRequest, execute: () => Promise<StoredResponse>) {
    let executed = false;
    const idempotent = makeIdempotent(
      async (_data: unknown): Promise<StoredResponse> => {
        executed = true;
        return execute();
      },
      {
        persistenceStore: options.persistence(),
        keyPrefix: KEY_PREFIX,
        config: new IdempotencyConfig({
          eventKeyJmesPath: 'key',
          payloadValidationJmesPath: 'payload',
          throwOnNoIdempotencyKey: true,
          expiresAfterSeconds: IDEMPOTENCY_RECORD_TTL_SECONDS,
          hashFunction: 'sha256',
          // The in-progress lock expires with this invocation's remaining time.
          lambdaContext: request.context,
        }),
      },
    );
    const data = {
      key: [request.callerId, request.routeKey, request.key],
      payload: request.payload,
    };
    const deadline = Date.now() + (options.waitForInProgressMs ?? IN_PROGRESS_WAIT_MS);
    for (let attempt = 0; ; attempt++) {
      try {
        const response = (await idempotent(data)) as StoredResponse;
        return { response, replayed: !executed };
      } catch (error) {
        if (error instanceof IdempotencyValidationError) throw new IdempotencyKeyReused();
        if (!(error instanceof IdempotencyAlreadyInProgressError)) throw error;
        if (Date.now() >= deadline) {
          throw new Conflict(
            'A request with this Idempotency-Key is still being processed; retry in a moment to get its answer.',
          );
        }
        // Jittered back-off: 25–50 ms, then up to 250–500 ms.
        await sleep(Math.min(50 * 2 ** attempt, 500) * (0.5 + Math.random() / 2));
      }
    }
  },
});

/**
 * What idempotent routes pass to httpRoute (`{ idempotency: idempotentWrites }`):
 * the store on IDEMPOTENCY_TABLE_NAME, with the function's own raw DynamoDB
 * client (Powertools marshals itself), built at cold start.
 */
export const idempotentWrites: IdempotencyAdapter = (context) => {
  const endpoint = optionalEnv(ENV.dynamoDbEndpoint);
  const persistence = new DynamoDBPersistenceLayer({
    tableName: requireEnv(ENV.idempotencyTableName),
    keyAttr: IDEMPOTENCY_TABLE.partitionKey,
    expiryAttr: IDEMPOTENCY_TABLE.ttlAttribute,
    awsSdkV3Client: context.client('dynamodb', createDynamoDbClient(endpoint ? { endpoint } : {})),
  });
  return powertoolsIdempotency({ persistence: () => persistence });
};
