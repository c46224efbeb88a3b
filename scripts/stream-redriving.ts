/**
 * The work behind `npm run stream:redrive` (scripts/stream-redrive.ts), also called by the tests:
 * replays what a stream function's dead-letter queue holds (docs/runbook.md, "Replay a stream
 * function's dead-letter queue").
 *
 * For a DynamoDB stream, Lambda's on-failure destination gets no record, only where the batch it gave
 * up on is: an invocation record with `DDBStreamBatchInfo` (shard, first and last sequence numbers,
 * stream ARN, batch size). The records stay readable in the stream for 24 hours. Per message:
 *
 *   read the batch back (GetShardIterator AT_SEQUENCE_NUMBER the first, GetRecords up to the last)
 *   → keep what the function's own filters match (the local stream reader's matcher: the same code)
 *   → invoke the function with `{ Records }` as Lambda would, in batches of its batch size
 *   → delete the message only once every invocation succeeded with no batch item failure.
 *
 * A batch the stream no longer has is reported with what to do instead (AGED_OUT_FALLBACKS); so are the
 * keys of its records (ids and times) when a redrive fails or is a dry run, since they are what the
 * fallbacks need. Never a record's content: the items carry health data.
 *
 * `redriveItems` re-runs the function on items still in the table instead (an outbox item for 2 days,
 * any audit entry), each as the INSERT record the stream had carried.
 *
 * The queue and the invocation are ports: SQS and Lambda in AWS (./stream-redrive-aws.ts, a thin
 * adapter: SQS is not emulated locally), a file and the handler in-process locally.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type AttributeValue, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { createLambdaContext } from '../local/api-gateway.ts';
import { handlerPath } from '../local/functions.ts';
import { type LambdaRecord, lambdaRecord, matchesStreamFilters } from '../local/stream-poller.ts';
import type { StreamSettings } from '../shared/function-model/declaration.ts';

/** Where a failed batch is in the stream: the `DDBStreamBatchInfo` of Lambda's invocation record. */
export interface StreamBatchInfo {
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  batchSize: number;
  streamArn: string;
  approximateArrivalOfFirstRecord?: string;
  approximateArrivalOfLastRecord?: string;
}

export interface DeadLetterMessage {
  id: string;
  body: string;
}

/** A stream function's DLQ (SQS in AWS), or messages saved in a file. */
export interface DeadLetterSource {
  /** Every message, each once. */
  messages(): AsyncIterable<DeadLetterMessage>;
  /** Removes a message handled for good; false when there is nothing to remove from (a file). */
  delete(message: DeadLetterMessage): Promise<boolean>;
  /** Makes the messages kept visible again (a queue hides what it hands out). */
  releaseKept?(messages: readonly DeadLetterMessage[]): Promise<void>;
}

export type InvocationOutcome = { ok: true } | { ok: false; error: string; failedSequenceNumber?: string };

/** Runs the function on one Lambda-shaped event and says whether it succeeded (never throws). */
export type Invoke = (event: { Records: LambdaRecord[] }) => Promise<InvocationOutcome>;

export type RedriveResult =
  /** Every matched record went through the function: the message is deleted. */
  | 'redriven'
  /** None of the batch's records passes the function's filters: nothing to do, the message is deleted. */
  | 'nothing-to-do'
  /** An invocation failed or reported a batch item failure: the message stays. */
  | 'failed'
  /** The stream no longer has the batch (24 h): the message stays unless --discard-aged-out. */
  | 'aged-out'
  /** Read and filtered, nothing invoked nor deleted. */
  | 'dry-run'
  /** Not an invocation record of a stream batch, nor an event: the message stays. */
  | 'unrecognised'
  /** --from-item: no such item in the table. */
  | 'not-found';

/** One line of the report: counts, sequence numbers and keys (ids, times), never an item's content. */
export interface RedriveReport {
  message: string;
  from: 'stream' | 'message' | 'table';
  shardId?: string;
  sequenceNumbers?: { start: string; end: string };
  /** Records in the failed batch, per the invocation record (after Lambda's filters). */
  batchSize?: number;
  /** Records read back (from the stream: every record between the first and the last, matched or not). */
  found: number;
  /** Of those, the records the function's filters let through: what it is invoked with. */
  matched: number;
  result: RedriveResult;
  deleted: boolean;
  invocations?: number;
  error?: string;
  failedSequenceNumber?: string;
  /** `pk/sk` of the matched records, when they were not all handled: what the fallbacks need. */
  keys?: string[];
  /** What to do next, when there is something to do. */
  next?: string;
}

export interface RedriveOptions {
  /** The function's declared name (functions/<name>/function.ts) and its stream settings. */
  functionName: string;
  settings: Pick<StreamSettings, 'filters' | 'batchSize'>;
  streams: DynamoDBStreamsClient;
  invoke: Invoke;
  dryRun?: boolean;
  /** Delete aged-out messages too (once their fallback is done). */
  discardAgedOut?: boolean;
  /** Pause between GetRecords pages: the shard's two mappings read it too (5 reads/s per shard in all). */
  pageDelayMs?: number;
  /** Empty pages in a row before the read is given up (an open shard can answer a few). */
  maxEmptyPages?: number;
}

/** What to do when the stream no longer has a batch, per function (docs/runbook.md has the commands). */
export const AGED_OUT_FALLBACKS: Readonly<Record<string, string>> = {
  'outbox-publisher':
    'The stream keeps records 24 h. Outbox items stay 2 days in the table: re-publish each with ' +
    `--from-item 'OUTBOX#<id>/EVENT' (keys from an earlier --dry-run or failed run). Attachment items the ` +
    'TTL deleted in this window left their objects: remove those by hand (docs/runbook.md).',
  'audit-shipper':
    'The stream keeps records 24 h. `npm run audit:verify` lists the entries not shipped (`unshipped`: ' +
    `subject, entryKey); ship each with --from-item 'AUDIT#<subject>/<entryKey>'.`,
};
const DEFAULT_FALLBACK =
  'The stream keeps records 24 h: rebuild what the function does from the table (docs/runbook.md).';

const FAILED_NEXT =
  "Fix the cause (the function's logs, its errors alarm), then run again: the message stays in the queue.";
const UNRECOGNISED_NEXT =
  'Neither a stream batch nor an event: look at it (aws sqs receive-message), then delete it by hand.';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nameOf = (error: unknown): string => (error as Error)?.name ?? 'Error';

const batchInfoSchema = z.object({
  shardId: z.string().min(1),
  startSequenceNumber: z.string().regex(/^\d+$/),
  endSequenceNumber: z.string().regex(/^\d+$/),
  batchSize: z.number().int().nonnegative(),
  streamArn: z.string().min(1),
  approximateArrivalOfFirstRecord: z.string().optional(),
  approximateArrivalOfLastRecord: z.string().optional(),
});
const invocationRecordSchema = z.object({ DDBStreamBatchInfo: batchInfoSchema });
/** A failed asynchronous invocation of the function (its DLQ takes those too): the event itself. */
const eventSchema = z.object({ Records: z.array(z.looseObject({ dynamodb: z.looseObject({}) })) });

type ParsedMessage =
  | { kind: 'batch'; info: StreamBatchInfo }
  | { kind: 'event'; records: LambdaRecord[] }
  | { kind: 'unrecognised' };

export const parseDeadLetter = (body: string): ParsedMessage => {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { kind: 'unrecognised' };
  }
  const batch = invocationRecordSchema.safeParse(value);
  if (batch.success) return { kind: 'batch', info: batch.data.DDBStreamBatchInfo };
  const event = eventSchema.safeParse(value);
  if (event.success) return { kind: 'event', records: event.data.Records as unknown as LambdaRecord[] };
  return { kind: 'unrecognised' };
};

/** What a stream handler answered: a batch item failure is a failure (Lambda would retry from it). */
export const outcomeOfResponse = (response: unknown): InvocationOutcome => {
  const failures = (response as { batchItemFailures?: Array<{ itemIdentifier?: string }> } | null)
    ?.batchItemFailures;
  if (!Array.isArray(failures) || failures.length === 0) return { ok: true };
  return {
    ok: false,
    error: 'batchItemFailures',
    ...(failures[0]?.itemIdentifier && { failedSequenceNumber: failures[0].itemIdentifier }),
  };
};

type BatchRead = { ok: true; records: StreamRecord[] } | { ok: false; agedOut: boolean; error: string };

/** After 24 h a record is trimmed, and a closed shard whose records all aged out is deleted. */
const AGED_OUT_ERRORS = new Set(['TrimmedDataAccessException', 'ResourceNotFoundException']);

const sequenceOf = (record: StreamRecord): bigint => BigInt(record.dynamodb?.SequenceNumber ?? '0');

/** The stream's records from the batch's first sequence number to its last, matched or not. */
export const readBatch = async (
  streams: DynamoDBStreamsClient,
  info: StreamBatchInfo,
  options: Pick<RedriveOptions, 'pageDelayMs' | 'maxEmptyPages'> = {},
): Promise<BatchRead> => {
  const start = BigInt(info.startSequenceNumber);
  const end = BigInt(info.endSequenceNumber);
  const records: StreamRecord[] = [];
  try {
    let { ShardIterator: iterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: info.streamArn,
        ShardId: info.shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        SequenceNumber: info.startSequenceNumber,
      }),
    );
    let emptyPages = 0;
    while (iterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      const got = page.Records ?? [];
      for (const record of got) {
        if (sequenceOf(record) > end) return complete(records, start);
        records.push(record);
      }
      if (records.length > 0 && sequenceOf(records.at(-1) as StreamRecord) === end) {
        return complete(records, start);
      }
      iterator = page.NextShardIterator;
      emptyPages = got.length === 0 ? emptyPages + 1 : 0;
      if (emptyPages >= (options.maxEmptyPages ?? 25)) {
        return { ok: false, agedOut: false, error: 'LastRecordNotReached' };
      }
      if (options.pageDelayMs) await sleep(options.pageDelayMs);
    }
    // The shard closed before the last sequence number: what it still had.
    return complete(records, start);
  } catch (error) {
    if (AGED_OUT_ERRORS.has(nameOf(error))) return { ok: false, agedOut: true, error: nameOf(error) };
    throw error;
  }
};

/** A batch whose first record is no longer there has aged out (at least in part): no partial redrive. */
const complete = (records: StreamRecord[], start: bigint): BatchRead =>
  records.length === 0 || sequenceOf(records[0] as StreamRecord) !== start
    ? { ok: false, agedOut: true, error: 'NoRecordAtStartSequenceNumber' }
    : { ok: true, records };

const keyOf = (record: LambdaRecord): string => {
  const keys = record.dynamodb.Keys
    ? unmarshall(record.dynamodb.Keys as Record<string, AttributeValue>)
    : ({} as Record<string, unknown>);
  return `${String(keys.pk)}/${String(keys.sk)}`;
};

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** What replaying records needs, whether they come from the stream, a message or the table. */
type ReplayOptions = Pick<RedriveOptions, 'settings' | 'invoke' | 'dryRun'>;

/** Invokes the function on the records, batch after batch, stopping at the first failure. */
const invokeAll = async (
  options: ReplayOptions,
  records: readonly LambdaRecord[],
): Promise<{ invocations: number; outcome: InvocationOutcome }> => {
  let invocations = 0;
  for (const batch of chunks(records, Math.max(1, options.settings.batchSize))) {
    invocations += 1;
    let outcome: InvocationOutcome;
    try {
      outcome = await options.invoke({ Records: batch });
    } catch (error) {
      outcome = { ok: false, error: nameOf(error) };
    }
    if (!outcome.ok) return { invocations, outcome };
  }
  return { invocations, outcome: { ok: true } };
};

/** The records' fate once read: filtered, then (unless a dry run) the function invoked on them. */
const replay = async (
  options: ReplayOptions,
  base: Omit<RedriveReport, 'found' | 'matched' | 'result' | 'deleted'>,
  records: readonly LambdaRecord[],
): Promise<RedriveReport> => {
  const matched = records.filter((record) => matchesStreamFilters(options.settings, record));
  const counts = { ...base, found: records.length, matched: matched.length };
  if (matched.length === 0) return { ...counts, result: 'nothing-to-do', deleted: false };
  if (options.dryRun) return { ...counts, result: 'dry-run', deleted: false, keys: matched.map(keyOf) };
  const { invocations, outcome } = await invokeAll(options, matched);
  if (outcome.ok) return { ...counts, result: 'redriven', deleted: false, invocations };
  return {
    ...counts,
    result: 'failed',
    deleted: false,
    invocations,
    error: outcome.error,
    ...(outcome.failedSequenceNumber && { failedSequenceNumber: outcome.failedSequenceNumber }),
    keys: matched.map(keyOf),
    next: FAILED_NEXT,
  };
};

/** Redrives one DLQ message (without deleting it: redriveQueue decides). */
export const redriveMessage = async (
  options: RedriveOptions,
  message: DeadLetterMessage,
): Promise<RedriveReport> => {
  const parsed = parseDeadLetter(message.body);
  if (parsed.kind === 'unrecognised') {
    return {
      message: message.id,
      from: 'message',
      found: 0,
      matched: 0,
      result: 'unrecognised',
      deleted: false,
      next: UNRECOGNISED_NEXT,
    };
  }
  if (parsed.kind === 'event')
    return replay(options, { message: message.id, from: 'message' }, parsed.records);
  const { info } = parsed;
  const base = {
    message: message.id,
    from: 'stream' as const,
    shardId: info.shardId,
    sequenceNumbers: { start: info.startSequenceNumber, end: info.endSequenceNumber },
    batchSize: info.batchSize,
  };
  const read = await readBatch(options.streams, info, options);
  if (!read.ok) {
    return {
      ...base,
      found: 0,
      matched: 0,
      result: read.agedOut ? 'aged-out' : 'failed',
      deleted: false,
      error: read.error,
      next: read.agedOut
        ? (AGED_OUT_FALLBACKS[options.functionName] ?? DEFAULT_FALLBACK)
        : "The stream did not reach the batch's last record: run again in a minute.",
    };
  }
  const region = info.streamArn.split(':')[3] ?? '';
  return replay(
    options,
    base,
    read.records.map((record) => lambdaRecord(record, info.streamArn, region)),
  );
};

const DELETABLE: ReadonlySet<RedriveResult> = new Set(['redriven', 'nothing-to-do']);

export interface RedriveSummary {
  messages: number;
  deleted: number;
  byResult: Partial<Record<RedriveResult, number>>;
}

/**
 * Every message of the source, in turn: redriven, then deleted when it is done with (never on a dry
 * run); the messages kept are made visible again at the end. Each report goes to `report` as it comes.
 */
export const redriveQueue = async (
  options: RedriveOptions,
  source: DeadLetterSource,
  report: (line: RedriveReport) => void,
): Promise<RedriveSummary> => {
  const summary: RedriveSummary = { messages: 0, deleted: 0, byResult: {} };
  const kept: DeadLetterMessage[] = [];
  try {
    for await (const message of source.messages()) {
      let line: RedriveReport;
      try {
        line = await redriveMessage(options, message);
      } catch (error) {
        // The stream could not be read (access, throttling): this message stays, the others are tried.
        line = {
          message: message.id,
          from: 'stream',
          found: 0,
          matched: 0,
          result: 'failed',
          deleted: false,
          error: nameOf(error),
          next: FAILED_NEXT,
        };
      }
      const done = DELETABLE.has(line.result) || (line.result === 'aged-out' && options.discardAgedOut);
      if (done && !options.dryRun) line.deleted = await source.delete(message);
      else kept.push(message);
      summary.messages += 1;
      if (line.deleted) summary.deleted += 1;
      summary.byResult[line.result] = (summary.byResult[line.result] ?? 0) + 1;
      report(line);
    }
  } finally {
    if (kept.length > 0) await source.releaseKept?.(kept);
  }
  return summary;
};

/** Messages saved in a file: `aws sqs receive-message` output, a list of messages or invocation records, or one. */
export const fileDeadLetters = (text: string): DeadLetterSource => {
  const value: unknown = JSON.parse(text);
  const list: unknown[] = Array.isArray(value)
    ? value
    : Array.isArray((value as { Messages?: unknown })?.Messages)
      ? (value as { Messages: unknown[] }).Messages
      : [value];
  const messages = list.map((entry, index): DeadLetterMessage => {
    const message = entry as { MessageId?: unknown; Body?: unknown };
    return typeof message?.Body === 'string'
      ? {
          id: typeof message.MessageId === 'string' ? message.MessageId : `#${index + 1}`,
          body: message.Body,
        }
      : { id: `#${index + 1}`, body: JSON.stringify(entry) };
  });
  return {
    async *messages() {
      yield* messages;
    },
    // A file is not the queue: what is done with is reported, the queue is left to the ops engineer.
    delete: async () => false,
  };
};

const FUNCTIONS_DIR = fileURLToPath(new URL('../functions/', import.meta.url));

/**
 * The function's handler in this process (functions/<name>/handler.ts), as the local stack runs it:
 * the Lambda environment (local/lambda-env.ts) must be set before this is called.
 */
export const inProcessInvoker = async (functionName: string, timeoutMs = 60_000): Promise<Invoke> => {
  const module = (await import(pathToFileURL(handlerPath(FUNCTIONS_DIR, functionName)).href)) as {
    handler: (event: unknown, context: Context) => Promise<unknown>;
  };
  return async (event) => {
    try {
      return outcomeOfResponse(
        await module.handler(event, createLambdaContext(functionName, randomUUID(), timeoutMs)),
      );
    } catch (error) {
      return { ok: false, error: nameOf(error) };
    }
  };
};

export interface ItemKey {
  pk: string;
  sk: string;
}

/** `<pk>/<sk>`, e.g. `OUTBOX#01J…/EVENT` or `AUDIT#THREAD#01J…/2026-05-14T10:00:00.000Z#01J…`. */
export const parseItemKey = (text: string): ItemKey | null => {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) return null;
  return { pk: text.slice(0, slash), sk: text.slice(slash + 1) };
};

export interface ItemRedriveOptions {
  functionName: string;
  settings: Pick<StreamSettings, 'filters' | 'batchSize'>;
  dynamoDb: DynamoDBClient;
  tableName: string;
  region: string;
  invoke: Invoke;
  dryRun?: boolean;
}

/**
 * Re-runs the function on items still in the table, one invocation each, each item as the INSERT record
 * the stream carried (its filters decide, as for the stream's): an outbox item's events are put on the bus
 * again with their ids, an audit entry is shipped (both idempotent).
 */
export const redriveItems = async (
  options: ItemRedriveOptions,
  keys: readonly ItemKey[],
  report: (line: RedriveReport) => void,
): Promise<RedriveSummary> => {
  const summary: RedriveSummary = { messages: 0, deleted: 0, byResult: {} };
  for (const [index, key] of keys.entries()) {
    const { Item } = await options.dynamoDb.send(
      new GetItemCommand({
        TableName: options.tableName,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        ConsistentRead: true,
      }),
    );
    const base = { message: `${key.pk}/${key.sk}`, from: 'table' as const };
    let line: RedriveReport;
    if (!Item) {
      line = {
        ...base,
        found: 0,
        matched: 0,
        result: 'not-found',
        deleted: false,
        next: 'No such item in the table (an outbox item is kept 2 days): check the key.',
      };
    } else {
      const record = lambdaRecord(
        {
          eventID: `stream-redrive-${randomUUID()}`,
          eventName: 'INSERT',
          eventVersion: '1.1',
          dynamodb: {
            ApproximateCreationDateTime: new Date(),
            Keys: { pk: { S: key.pk }, sk: { S: key.sk } },
            NewImage: Item,
            SequenceNumber: String(index + 1).padStart(21, '0'),
            StreamViewType: 'NEW_IMAGE',
          },
        },
        `stream-redrive:table/${options.tableName}`,
        options.region,
      );
      line = await replay(options, base, [record]);
    }
    summary.messages += 1;
    summary.byResult[line.result] = (summary.byResult[line.result] ?? 0) + 1;
    report(line);
  }
  return summary;
};
