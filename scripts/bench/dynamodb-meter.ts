/**
 * Counts what the functions ask of DynamoDB: an SDK middleware on every document
 * client created after `createDynamoMeter()` (through the hook in
 * shared/db/client.ts), recording each round-trip's operation, outcome, items read
 * and written, and the ConsumedCapacity DynamoDB returned (when asked for it).
 *
 * Used by the benchmark (per-route round-trips and capacity) and by the fuzz suite
 * (a refused request must not have written anything).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { instrumentDocumentClients } from '../../shared/db/client.ts';

export interface DynamoCall {
  /** The DynamoDB operation, e.g. "GetItem", "TransactWriteItems". */
  operation: string;
  ok: boolean;
  /** Error name of a failed call, e.g. "ConditionalCheckFailedException". */
  error?: string;
  itemsRead: number;
  itemsWritten: number;
  /** Capacity units as returned by DynamoDB (DynamoDB Local's accounting is not the service's). */
  capacityUnits?: number;
  /** Keys a write targeted, as "pk|sk" (whether or not it succeeded). */
  keys: string[];
  /** When the call started and ended (performance.now(), ms): parallel calls overlap. */
  startedAt: number;
  endedAt: number;
}

/** Sequential round-trips: calls made in parallel (overlapping) count as one. */
export const waitsOf = (calls: ReadonlyArray<Pick<DynamoCall, 'startedAt' | 'endedAt'>>): number => {
  const sorted = [...calls].sort((a, b) => a.startedAt - b.startedAt);
  let waits = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const { startedAt, endedAt } of sorted) {
    if (startedAt >= end) waits += 1;
    end = Math.max(end, endedAt);
  }
  return waits;
};

/** Wall time spent waiting on DynamoDB: the union of the calls' intervals (parallel calls count once). */
export const dynamoTimeOf = (calls: readonly DynamoCall[]): number => {
  const sorted = [...calls].sort((a, b) => a.startedAt - b.startedAt);
  let total = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const { startedAt, endedAt } of sorted) {
    if (endedAt <= end) continue;
    total += endedAt - Math.max(startedAt, end);
    end = endedAt;
  }
  return total;
};

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);

export const isWrite = (call: DynamoCall) => WRITES.has(call.operation);

type Json = Record<string, unknown>;
const arrayLength = (value: unknown) => (Array.isArray(value) ? value.length : 0);
const sumOf = (record: unknown) =>
  record && typeof record === 'object'
    ? Object.values(record as Json).reduce<number>((n, v) => n + arrayLength(v), 0)
    : 0;

const itemsWritten = (operation: string, input: Json): number => {
  switch (operation) {
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return 1;
    case 'TransactWriteItems':
      // A ConditionCheck is read, not written.
      return (input.TransactItems as Json[] | undefined)?.filter((item) => !item.ConditionCheck).length ?? 0;
    case 'BatchWriteItem':
      return sumOf(input.RequestItems);
    default:
      return 0;
  }
};

const keyOf = (key: unknown): string[] =>
  key && typeof key === 'object' ? [`${String((key as Json).pk)}|${String((key as Json).sk)}`] : [];

/** The "pk|sk" of every item a write targets (ConditionChecks excluded). */
const writtenKeys = (operation: string, input: Json): string[] => {
  switch (operation) {
    case 'PutItem':
      return keyOf(input.Item);
    case 'UpdateItem':
    case 'DeleteItem':
      return keyOf(input.Key);
    case 'TransactWriteItems':
      return ((input.TransactItems ?? []) as Json[]).flatMap((item) => {
        const op = (item.Put ?? item.Update ?? item.Delete) as Json | undefined;
        return op ? keyOf(op.Item ?? op.Key) : [];
      });
    case 'BatchWriteItem':
      return Object.values((input.RequestItems ?? {}) as Record<string, Json[]>).flatMap((requests) =>
        requests.flatMap((r) =>
          keyOf((r.PutRequest as Json | undefined)?.Item ?? (r.DeleteRequest as Json | undefined)?.Key),
        ),
      );
    default:
      return [];
  }
};

const itemsRead = (operation: string, input: Json, output: Json | undefined): number => {
  switch (operation) {
    case 'GetItem':
      return output?.Item ? 1 : 0;
    case 'Query':
    case 'Scan':
      return typeof output?.ScannedCount === 'number' ? output.ScannedCount : arrayLength(output?.Items);
    case 'TransactGetItems':
      return arrayLength(output?.Responses);
    case 'BatchGetItem':
      return sumOf(output?.Responses);
    case 'TransactWriteItems':
      return (input.TransactItems as Json[] | undefined)?.filter((item) => item.ConditionCheck).length ?? 0;
    default:
      return 0;
  }
};

const capacityOf = (output: Json | undefined): number | undefined => {
  const consumed = output?.ConsumedCapacity;
  if (!consumed) return undefined;
  const list = (Array.isArray(consumed) ? consumed : [consumed]) as Array<{ CapacityUnits?: number }>;
  return list.reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
};

export interface DynamoMeter {
  /** Every call since the last `take()`, oldest first, and forgets them. */
  take(): DynamoCall[];
  /** Calls recorded so far (not forgotten). */
  readonly count: number;
  stop(): void;
}

/** One DynamoDB round-trip as the document client saw it: what was asked, and what came back. */
export interface ObservedCall {
  operation: string;
  /** The command's input (document-client values). */
  input: Json;
  /** The output of a call that succeeded. */
  output?: Json;
  /** Error name of a failed call. */
  error?: string;
  startedAt: number;
  endedAt: number;
}

let observers = 0;

/**
 * Calls `listener` after every round-trip of every document client created from now
 * on (through the hook in shared/db/client.ts); `beforeSend` may amend an input.
 * Returns the function that stops observing new clients.
 */
export const observeDynamoCalls = (
  listener: (call: ObservedCall) => void,
  options: { beforeSend?: (operation: string, input: Json) => void } = {},
): (() => void) => {
  // Each observer is its own middleware: two of them on one client need distinct names.
  const name = `patientMessagingDynamoObserver${++observers}`;
  return instrumentDocumentClients((client: DynamoDBDocumentClient) => {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
        const input = args.input as Json;
        if (input && typeof input === 'object') options.beforeSend?.(operation, input);
        const startedAt = performance.now();
        try {
          const result = await next(args);
          listener({
            operation,
            input,
            output: result.output as Json | undefined,
            startedAt,
            endedAt: performance.now(),
          });
          return result;
        } catch (error) {
          listener({
            operation,
            input,
            error: (error as Error)?.name ?? 'Error',
            startedAt,
            endedAt: performance.now(),
          });
          throw error;
        }
      },
      { step: 'initialize', name, priority: 'high' },
    );
  });
};

export const createDynamoMeter = (options: { returnConsumedCapacity?: boolean } = {}): DynamoMeter => {
  let calls: DynamoCall[] = [];
  const remove = observeDynamoCalls(
    ({ operation, input, output, error, startedAt, endedAt }) => {
      const capacityUnits = capacityOf(output);
      calls.push({
        operation,
        ok: error === undefined,
        ...(error !== undefined && { error }),
        itemsRead: error === undefined ? itemsRead(operation, input, output) : 0,
        itemsWritten: error === undefined ? itemsWritten(operation, input) : 0,
        ...(capacityUnits !== undefined && { capacityUnits }),
        keys: writtenKeys(operation, input),
        startedAt,
        endedAt,
      });
    },
    {
      beforeSend: (_operation, input) => {
        if (options.returnConsumedCapacity) input.ReturnConsumedCapacity ??= 'TOTAL';
      },
    },
  );
  return {
    take: () => {
      const taken = calls;
      calls = [];
      return taken;
    },
    get count() {
      return calls.length;
    },
    stop: remove,
  };
};
