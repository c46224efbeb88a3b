/**
 * The local stand-in for Lambda's DynamoDB event source mapping: reads DynamoDB
 * Local's stream of the table (the Streams API, @aws-sdk/client-dynamodb-streams)
 * and invokes each stream function (trigger `stream`, e.g. the outbox publisher)
 * with batches of the records its filter patterns match — the same records, the
 * same event shape and the same handler code as in AWS.
 *
 * As in AWS: records of a shard are delivered in order; a batch answering
 * `batchItemFailures` is retried from the first failed record, a batch that
 * throws is retried whole, and after `retryAttempts` retries its records go to
 * the dead letters (Lambda's on-failure destination: an invocation record that
 * locates the batch in the stream, as AWS sends to the DLQ). Not emulated: bisecting a
 * failing batch, parallelization (one batch at a time per shard), record age — and
 * the TTL's deletions, which DynamoDB Local never makes (local/table.ts).
 *
 * `flush()` resolves once every reader has polled its shard dry and delivered
 * what it read: the local bus waits for it in `drain()`, so an e2e test that
 * drains sees the events of every committed change.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { StreamSettings } from '../shared/function-model/declaration.ts';
import { LOCAL_ACCOUNT_ID } from './constants.ts';
import { type EventPatternNode, matchesPattern, validatePattern } from './event-pattern.ts';
import { describeError, type Logger } from './logger.ts';

export interface StreamTarget {
  /** The function invoked (functions/<name>/handler.ts). */
  name: string;
  settings: StreamSettings;
}

export interface StreamDeadLetter {
  target: string;
  shardId: string;
  sequenceNumbers: string[];
  error: string;
  failedAt: string;
  /**
   * What Lambda sends to the mapping's on-failure destination (the DLQ's message body): the batch's
   * place in the stream, never its records (`npm run stream:redrive` reads them back from the stream).
   */
  invocationRecord: StreamInvocationRecord;
}

/**
 * Lambda's invocation record for a stream batch it gave up on (AWS Lambda Developer Guide, "Retain
 * discarded records for a DynamoDB event source in Lambda"): the body of the DLQ message.
 */
export interface StreamInvocationRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    /** Why Lambda gave up: `RetryAttemptsExhausted` (the only one locally: record age is not emulated). */
    condition: string;
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  version: string;
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export type InvokeStreamTarget = (target: string, event: { Records: unknown[] }) => Promise<unknown>;

export interface LocalStreamPollerOptions {
  dynamoDb: DynamoDBClient;
  endpoint: string;
  region: string;
  tableName: string;
  targets: readonly StreamTarget[];
  invoke: InvokeStreamTarget;
  logger?: Logger;
  pollIntervalMs?: number;
  retryDelayMs?: number;
  /** Where positions are kept across restarts (npm start with a data folder); none: from the stream's start. */
  checkpointFile?: string;
}

interface Reader {
  target: StreamTarget;
  shardId: string;
  iterator: string | undefined;
  /** Last sequence number delivered (or dead-lettered): where a restart resumes. */
  position: string | undefined;
  /** Bumped at each poll that found nothing left to deliver: flush() waits for one after it was called. */
  dryPolls: number;
  closed: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The record as Lambda passes it to the function (and as its filter patterns see it). */
export const lambdaRecord = (record: StreamRecord, streamArn: string, region: string) => ({
  eventID: record.eventID,
  eventName: record.eventName,
  eventVersion: record.eventVersion ?? '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: region,
  dynamodb: {
    ApproximateCreationDateTime:
      record.dynamodb?.ApproximateCreationDateTime instanceof Date
        ? Math.floor(record.dynamodb.ApproximateCreationDateTime.getTime() / 1000)
        : record.dynamodb?.ApproximateCreationDateTime,
    Keys: record.dynamodb?.Keys,
    NewImage: record.dynamodb?.NewImage,
    OldImage: record.dynamodb?.OldImage,
    SequenceNumber: record.dynamodb?.SequenceNumber,
    SizeBytes: record.dynamodb?.SizeBytes,
    StreamViewType: record.dynamodb?.StreamViewType,
  },
  eventSourceARN: streamArn,
  // A TTL deletion's (the Streams API's `PrincipalId`/`Type`, as Lambda spells them): DynamoDB Local
  // applies no TTL, so locally no record carries one; a delete made by a function has none in AWS either.
  ...(record.userIdentity && {
    userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId },
  }),
});

export type LambdaRecord = ReturnType<typeof lambdaRecord>;

/** Does the record pass one of the function's filters (the event source mapping's filter criteria)? */
export const matchesStreamFilters = (
  settings: Pick<StreamSettings, 'filters'>,
  record: LambdaRecord,
): boolean => settings.filters.some((filter) => matchesPattern(filter as EventPatternNode, record));

/** Epoch seconds on the stream (Lambda's ApproximateCreationDateTime) → the destination's second-precision time. */
const arrivalOf = (record: LambdaRecord | undefined): string => {
  const seconds = Number(record?.dynamodb.ApproximateCreationDateTime);
  return new Date(Number.isFinite(seconds) ? seconds * 1000 : Date.now())
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
};

export class LocalStreamPoller {
  private readonly options: LocalStreamPollerOptions;
  private readonly client: DynamoDBStreamsClient;
  private readonly readers: Reader[] = [];
  private readonly dlq: StreamDeadLetter[] = [];
  private streamArn = '';
  private stopped = false;
  private loops: Promise<void> | undefined;
  private delivered = 0;

  constructor(options: LocalStreamPollerOptions) {
    for (const target of options.targets) {
      for (const filter of target.settings.filters) {
        try {
          validatePattern(filter);
        } catch (error) {
          throw new Error(`Stream filter of ${target.name}: ${(error as Error).message}`);
        }
      }
    }
    this.options = options;
    this.client = new DynamoDBStreamsClient({
      endpoint: options.endpoint,
      region: options.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }

  get deadLetters(): readonly StreamDeadLetter[] {
    return this.dlq;
  }

  /** Records delivered to targets since the start (a counter the bus uses to know the outbox moved). */
  get deliveredCount(): number {
    return this.delivered;
  }

  async start(): Promise<void> {
    if (this.options.targets.length === 0) return;
    const { Table } = await this.options.dynamoDb.send(
      new DescribeTableCommand({ TableName: this.options.tableName }),
    );
    if (!Table?.LatestStreamArn) throw new Error(`Table ${this.options.tableName} has no stream`);
    this.streamArn = Table.LatestStreamArn;
    const saved = this.readCheckpoints();
    await this.discoverShards(saved);
    this.loops = Promise.all(this.readers.map((reader) => this.run(reader))).then(() => undefined);
  }

  private readCheckpoints(): Record<string, string> {
    if (!this.options.checkpointFile) return {};
    try {
      const saved = JSON.parse(readFileSync(this.options.checkpointFile, 'utf8')) as {
        streamArn?: string;
        positions?: Record<string, string>;
      };
      // A recreated table has a new stream: its old positions mean nothing.
      return saved.streamArn === this.streamArn ? (saved.positions ?? {}) : {};
    } catch {
      return {};
    }
  }

  private saveCheckpoints(): void {
    if (!this.options.checkpointFile) return;
    const positions = Object.fromEntries(
      this.readers
        .filter((r) => r.position !== undefined)
        .map((r) => [`${r.target.name}/${r.shardId}`, r.position as string]),
    );
    writeFileSync(this.options.checkpointFile, JSON.stringify({ streamArn: this.streamArn, positions }));
  }

  /** Readers for shards not yet read, for every target; a new shard starts where its position says. */
  private async discoverShards(saved: Record<string, string> = {}): Promise<Reader[]> {
    const { StreamDescription } = await this.client.send(
      new DescribeStreamCommand({ StreamArn: this.streamArn }),
    );
    const added: Reader[] = [];
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId ?? '';
      for (const target of this.options.targets) {
        if (this.readers.some((r) => r.shardId === shardId && r.target.name === target.name)) continue;
        const position = saved[`${target.name}/${shardId}`];
        const { ShardIterator } = await this.client.send(
          new GetShardIteratorCommand({
            StreamArn: this.streamArn,
            ShardId: shardId,
            ...(position
              ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: position }
              : { ShardIteratorType: 'TRIM_HORIZON' }),
          }),
        );
        const reader: Reader = {
          target,
          shardId,
          iterator: ShardIterator,
          position,
          dryPolls: 0,
          closed: false,
        };
        this.readers.push(reader);
        added.push(reader);
      }
    }
    return added;
  }

  private async run(reader: Reader): Promise<void> {
    const interval = this.options.pollIntervalMs ?? 20;
    while (!this.stopped && reader.iterator) {
      try {
        const { Records = [], NextShardIterator } = await this.client.send(
          new GetRecordsCommand({ ShardIterator: reader.iterator, Limit: 1000 }),
        );
        const matched = Records.map((r) => lambdaRecord(r, this.streamArn, this.options.region)).filter((r) =>
          matchesStreamFilters(reader.target.settings, r),
        );
        await this.deliver(reader, matched);
        const last = Records.at(-1)?.dynamodb?.SequenceNumber;
        if (last) {
          reader.position = last;
          this.saveCheckpoints();
        }
        reader.iterator = NextShardIterator;
        if (!NextShardIterator) {
          // A closed shard: its children carry on (read from their start).
          reader.closed = true;
          const children = await this.discoverShards();
          await Promise.all(children.map((child) => this.run(child)));
          return;
        }
        if (Records.length === 0) {
          reader.dryPolls += 1;
          await sleep(interval);
        }
      } catch (error) {
        if (this.stopped) return;
        this.options.logger?.warn(`stream ${reader.target.name}/${reader.shardId}: ${describeError(error)}`);
        await sleep(interval * 10);
      }
    }
  }

  /** Batches of `batchSize`, in order; each retried from its first failure, dead-lettered after its retries. */
  private async deliver(reader: Reader, records: LambdaRecord[]): Promise<void> {
    const { batchSize, retryAttempts } = reader.target.settings;
    let remaining = records;
    while (remaining.length > 0 && !this.stopped) {
      let batch = remaining.slice(0, batchSize);
      let attempt = 0;
      for (;;) {
        let retryFrom: number | null;
        let error = '';
        try {
          const response = (await this.options.invoke(reader.target.name, { Records: batch })) as {
            batchItemFailures?: Array<{ itemIdentifier?: string }>;
          } | null;
          const failed = response?.batchItemFailures?.[0]?.itemIdentifier;
          retryFrom =
            failed === undefined ? null : batch.findIndex((r) => r.dynamodb.SequenceNumber === failed);
          if (retryFrom === -1) retryFrom = 0;
          error = 'batchItemFailures';
        } catch (thrown) {
          retryFrom = 0;
          error = describeError(thrown);
        }
        this.delivered += retryFrom === null ? batch.length : retryFrom;
        if (retryFrom === null) break;
        batch = batch.slice(retryFrom);
        attempt += 1;
        if (attempt > retryAttempts) {
          this.dlq.push({
            target: reader.target.name,
            shardId: reader.shardId,
            sequenceNumbers: batch.map((r) => String(r.dynamodb.SequenceNumber)),
            error,
            failedAt: new Date().toISOString(),
            invocationRecord: this.invocationRecord(reader, batch, attempt),
          });
          this.options.logger?.error(
            `${reader.target.name} gave up on ${batch.length} stream record(s) after ${retryAttempts} retries → dead letters`,
          );
          break;
        }
        await sleep(this.options.retryDelayMs ?? 50);
      }
      remaining = remaining.slice(batchSize);
    }
  }

  private invocationRecord(
    reader: Reader,
    batch: LambdaRecord[],
    invokeCount: number,
  ): StreamInvocationRecord {
    return {
      requestContext: {
        requestId: randomUUID(),
        functionArn: `arn:aws:lambda:${this.options.region}:${LOCAL_ACCOUNT_ID}:function:${reader.target.name}`,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: invokeCount,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId: reader.shardId,
        startSequenceNumber: String(batch[0]?.dynamodb.SequenceNumber),
        endSequenceNumber: String(batch.at(-1)?.dynamodb.SequenceNumber),
        approximateArrivalOfFirstRecord: arrivalOf(batch[0]),
        approximateArrivalOfLastRecord: arrivalOf(batch.at(-1)),
        batchSize: batch.length,
        streamArn: this.streamArn,
      },
    };
  }

  /** Resolves once every open reader has polled dry after this call (what it read is delivered by then). */
  async flush(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const marks = new Map(this.readers.map((r) => [r, r.dryPolls]));
    for (;;) {
      const pending = this.readers.filter(
        (r) => !r.closed && r.iterator && r.dryPolls <= (marks.get(r) ?? -1),
      );
      if (pending.length === 0 || this.stopped) return;
      if (Date.now() > deadline) throw new Error(`Stream readers not dry after ${timeoutMs} ms`);
      await sleep(5);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loops?.catch(() => {});
    this.client.destroy();
  }
}
