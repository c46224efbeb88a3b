/**
 * `npm run stream:redrive` on the local stack's real stream (DynamoDB Local): the stream functions are
 * made to fail while a change is written, so the local reader gives their batch up (after no retry) as
 * Lambda would; the dead letter is then an invocation record like the one AWS puts in the DLQ — where
 * the batch is, not its records — and the redrive reads the records back from the stream and runs the
 * real handler on them: the events reach the local bus, the audit links land in the local S3.
 *
 * SQS is not emulated: the queue here is a list (the adapter, scripts/stream-redrive-aws.ts, is thin).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { LOCAL_REGION } from '../../local/constants.ts';
import type { LambdaHandler } from '../../local/functions.ts';
import { createLogger } from '../../local/logger.ts';
import { lambdaRecord, matchesStreamFilters, type StreamTarget } from '../../local/stream-poller.ts';
import { verifyAuditArchive } from '../../scripts/audit-verification.ts';
import {
  type DeadLetterMessage,
  type DeadLetterSource,
  type Invoke,
  inProcessInvoker,
  outcomeOfResponse,
  type RedriveOptions,
  type RedriveReport,
  redriveItems,
  redriveQueue,
} from '../../scripts/stream-redriving.ts';
import { streamConsumers } from '../../shared/function-model/triggers.ts';
import { startTestApi, type TestApi } from '../support/index.ts';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;

class InjectedFailure extends Error {
  override readonly name = 'InjectedFailure';
}

/** Which stream function fails now (in the stack only: the redrive runs the real handler). */
const broken = new Set<string>();
const wrapHandlers = (name: string, handler: LambdaHandler): LambdaHandler => {
  const real = handler as (event: unknown, context: Context) => Promise<unknown>;
  return (async (event: unknown, context: Context) => {
    if (broken.has(name)) throw new InjectedFailure(`${name} is broken`);
    return real(event, context);
  }) as LambdaHandler;
};

// Given up at the first failure, so a test does not wait for the retries.
const TARGETS: StreamTarget[] = streamConsumers(FUNCTIONS).map((t) => ({
  ...t,
  settings: { ...t.settings, retryAttempts: 0 },
}));
const settingsOf = (name: string) => {
  const target = TARGETS.find((t) => t.name === name);
  if (!target) throw new Error(`no stream function ${name}`);
  return target.settings;
};

let t: TestApi;
let streams: DynamoDBStreamsClient;
let streamArn: string;
const PRACTITIONER = 'dr-redrive';
const TEXT = 'Bonjour, mes résultats';

beforeAll(async () => {
  t = await startTestApi({
    wrapHandlers,
    streams: TARGETS,
    logger: createLogger('redrive-test', { quiet: true, err: () => {} }),
  });
  streams = new DynamoDBStreamsClient({
    endpoint: t.stack.urls.dynamoDb,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const { Table } = await t.stack.dynamoDbClient.send(
    new DescribeTableCommand({ TableName: t.stack.tableName }),
  );
  streamArn = Table?.LatestStreamArn ?? '';
  const doc = await t.as(PRACTITIONER, 'practitioner');
  expect((await doc.patch('/v1/practitioner/settings', { displayName: 'Dr Redrive' })).status).toBe(200);
  await t.bus.drain();
});
afterAll(async () => {
  streams?.destroy();
  await t?.stop();
});

/** Every event delivery and every stream batch so far settled. */
const settle = async () => {
  await t.bus.drain();
  await t.stack.streams.flush();
};

/**
 * A patient of the practitioner writes to them: a thread, its message, its outbox item and its audit
 * entries — while `fn` fails, so the stream batches that reach it are dead-lettered.
 */
const startThreadWhileFailing = async (fn: string, patientId: string) => {
  const doc = await t.as(PRACTITIONER, 'practitioner');
  expect(
    (await doc.put(`/v1/practitioner/patients/${patientId}`, { firstName: 'Léa', lastName: 'Roux' })).status,
  ).toBe(201);
  await settle();
  const before = t.stack.streams.deadLetters.length;
  broken.add(fn);
  try {
    const pat = await t.as(patientId, 'patient');
    const res = await pat.post('/v1/patient/threads', { practitionerId: PRACTITIONER, body: TEXT });
    expect(res.status).toBe(201);
    await settle();
    const letters = t.stack.streams.deadLetters.slice(before).filter((l) => l.target === fn);
    expect(letters.length).toBeGreaterThan(0);
    return { threadId: res.body.thread.id as string, letters };
  } finally {
    broken.delete(fn);
  }
};

const eventsAbout = (threadId: string) =>
  t.bus.events.filter((e) => (e.detail as { data?: { threadId?: string } }).data?.threadId === threadId);

/** The invocation record Lambda puts in the DLQ for a batch, built from the stream's real shard and numbers. */
const invocationRecord = (shardId: string, sequenceNumbers: readonly string[]) => ({
  requestContext: {
    requestId: randomUUID(),
    functionArn: 'arn:aws:lambda:eu-west-3:000000000000:function:patient-messaging-dev-outbox-publisher',
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 1,
  },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  version: '1.0',
  timestamp: new Date().toISOString(),
  DDBStreamBatchInfo: {
    shardId,
    startSequenceNumber: sequenceNumbers[0],
    endSequenceNumber: sequenceNumbers.at(-1),
    approximateArrivalOfFirstRecord: '2026-12-01T10:00:00Z',
    approximateArrivalOfLastRecord: '2026-12-01T10:00:00Z',
    batchSize: sequenceNumbers.length,
    streamArn,
  },
});

/** A list standing in for the SQS queue: what is deleted leaves it, what is kept is released. */
const queueOf = (...bodies: unknown[]) => {
  const remaining = new Map(bodies.map((body, i) => [`msg-${i + 1}`, JSON.stringify(body)]));
  const released: string[] = [];
  const source: DeadLetterSource = {
    async *messages() {
      for (const [id, body] of [...remaining]) yield { id, body } satisfies DeadLetterMessage;
    },
    delete: async (message) => remaining.delete(message.id),
    releaseKept: async (messages) => {
      released.push(...messages.map((m) => m.id));
    },
  };
  return { source, remaining, released };
};

const redrive = async (
  fn: string,
  source: DeadLetterSource,
  options: Partial<Pick<RedriveOptions, 'invoke' | 'dryRun' | 'discardAgedOut'>> = {},
) => {
  const lines: RedriveReport[] = [];
  const summary = await redriveQueue(
    {
      functionName: fn,
      settings: settingsOf(fn),
      streams,
      invoke: options.invoke ?? (await inProcessInvoker(fn)),
      ...(options.dryRun && { dryRun: true }),
      ...(options.discardAgedOut && { discardAgedOut: true }),
    },
    source,
    (line) => lines.push(line),
  );
  return { lines, summary };
};

/** What a report line may hold: counts, sequence numbers, keys and words — never an item's attributes. */
const REPORT_FIELDS = [
  'message',
  'from',
  'shardId',
  'sequenceNumbers',
  'batchSize',
  'found',
  'matched',
  'result',
  'deleted',
  'invocations',
  'error',
  'failedSequenceNumber',
  'keys',
  'next',
];
const expectNoContent = (line: RedriveReport) => {
  expect(Object.keys(line).filter((k) => !REPORT_FIELDS.includes(k))).toEqual([]);
  expect(JSON.stringify(line)).not.toContain(TEXT);
  expect(JSON.stringify(line)).not.toContain('NewImage');
};

describe('outbox-publisher: a batch it gave up on', () => {
  let threadId: string;
  let message: ReturnType<typeof invocationRecord>;

  beforeAll(async () => {
    const failed = await startThreadWhileFailing('outbox-publisher', 'pat-redrive-1');
    threadId = failed.threadId;
    const { letters } = failed;
    expect(eventsAbout(threadId)).toEqual([]);
    const [letter] = letters;
    message = invocationRecord(letter?.shardId ?? '', letter?.sequenceNumbers ?? []);
    // The local reader's own dead letter is the same invocation record.
    expect(letter?.invocationRecord).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 1 },
      DDBStreamBatchInfo: {
        ...message.DDBStreamBatchInfo,
        approximateArrivalOfFirstRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        approximateArrivalOfLastRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      },
    });
  });

  it('a failing invocation keeps the message, and names the keys to fall back on', async () => {
    const queue = queueOf(message);
    const failures: Invoke = async (event) =>
      outcomeOfResponse({
        batchItemFailures: [{ itemIdentifier: event.Records[0]?.dynamodb.SequenceNumber }],
      });
    const { lines } = await redrive('outbox-publisher', queue.source, { invoke: failures });
    expect(lines).toEqual([
      expect.objectContaining({ result: 'failed', error: 'batchItemFailures', matched: 1, deleted: false }),
    ]);
    expect(lines[0]?.keys).toEqual([expect.stringMatching(/^OUTBOX#[0-9A-Z]+\/EVENT$/)]);
    expect(queue.remaining.size).toBe(1);
    expect(queue.released).toEqual(['msg-1']);

    const throwing = queueOf(message);
    const crash = await redrive('outbox-publisher', throwing.source, {
      invoke: async () => {
        throw new InjectedFailure('Lambda said no');
      },
    });
    expect(crash.lines[0]).toMatchObject({ result: 'failed', error: 'InjectedFailure', deleted: false });
    expect(throwing.remaining.size).toBe(1);
    expect(eventsAbout(threadId)).toEqual([]);
  });

  it('a dry run reads and filters, invokes and deletes nothing', async () => {
    const queue = queueOf(message);
    const { lines } = await redrive('outbox-publisher', queue.source, { dryRun: true });
    expect(lines[0]).toMatchObject({ result: 'dry-run', matched: 1, deleted: false });
    expect(queue.remaining.size).toBe(1);
    await t.bus.drain();
    expect(eventsAbout(threadId)).toEqual([]);
  });

  it('the redrive reads the records back from the stream and the real handler puts the events on the bus', async () => {
    const queue = queueOf(message);
    const { lines, summary } = await redrive('outbox-publisher', queue.source);
    expect(lines).toEqual([
      expect.objectContaining({
        from: 'stream',
        shardId: message.DDBStreamBatchInfo.shardId,
        batchSize: 1,
        matched: 1,
        result: 'redriven',
        invocations: 1,
        deleted: true,
      }),
    ]);
    // Every record between the batch's first and last sequence numbers was read, the filter kept one.
    expect(lines[0]?.found).toBeGreaterThanOrEqual(1);
    lines.forEach(expectNoContent);
    expect(summary).toEqual({ messages: 1, deleted: 1, byResult: { redriven: 1 } });
    expect(queue.remaining.size).toBe(0);
    await t.bus.drain();
    expect(eventsAbout(threadId).length).toBeGreaterThan(0);
  });

  it('--from-item re-publishes an outbox item still in the table, with the same event ids', async () => {
    const failed = await startThreadWhileFailing('outbox-publisher', 'pat-redrive-2');
    const dry = await redrive(
      'outbox-publisher',
      queueOf(invocationRecord(failed.letters[0]?.shardId ?? '', failed.letters[0]?.sequenceNumbers ?? []))
        .source,
      { dryRun: true },
    );
    const [key] = dry.lines[0]?.keys ?? [];
    expect(eventsAbout(failed.threadId)).toEqual([]);

    const lines: RedriveReport[] = [];
    const [pk, sk] = (key ?? '').split('/');
    await redriveItems(
      {
        functionName: 'outbox-publisher',
        settings: settingsOf('outbox-publisher'),
        dynamoDb: t.stack.dynamoDbClient,
        tableName: t.stack.tableName,
        region: LOCAL_REGION,
        invoke: await inProcessInvoker('outbox-publisher'),
      },
      [
        { pk: pk ?? '', sk: sk ?? '' },
        { pk: 'OUTBOX#NOSUCHITEM', sk: 'EVENT' },
      ],
      (line) => lines.push(line),
    );
    expect(lines).toEqual([
      expect.objectContaining({ message: key, from: 'table', matched: 1, result: 'redriven' }),
      expect.objectContaining({ message: 'OUTBOX#NOSUCHITEM/EVENT', found: 0, result: 'not-found' }),
    ]);
    await t.bus.drain();
    const { Item } = await t.table.doc.send(
      new GetCommand({ TableName: t.table.tableName, Key: { pk, sk }, ConsistentRead: true }),
    );
    const written = ((Item?.events ?? []) as Array<{ eventId: string }>).map((e) => e.eventId);
    expect(written.length).toBeGreaterThan(0);
    const published = eventsAbout(failed.threadId).map(
      (e) => (e.detail as { metadata: { eventId: string } }).metadata.eventId,
    );
    expect(published.sort()).toEqual([...written].sort());
  });
});

describe('messages with nothing to replay', () => {
  /** Every record of the table's stream so far, with its shard. */
  const streamRecords = async () => {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const all = [];
    for (const shard of StreamDescription?.Shards ?? []) {
      let { ShardIterator: iterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      while (iterator) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        if (!page.Records?.length) break;
        for (const record of page.Records) all.push({ shardId: shard.ShardId ?? '', record });
        iterator = page.NextShardIterator;
      }
    }
    return all;
  };

  it('a batch whose records all fail the function filter is deleted without invoking it', async () => {
    const outbox = settingsOf('outbox-publisher');
    const other = (await streamRecords()).find(
      ({ record }) => !matchesStreamFilters(outbox, lambdaRecord(record, streamArn, LOCAL_REGION)),
    );
    expect(other).toBeDefined();
    const queue = queueOf(
      invocationRecord(other?.shardId ?? '', [other?.record.dynamodb?.SequenceNumber ?? '']),
    );
    let invoked = 0;
    const { lines } = await redrive('outbox-publisher', queue.source, {
      invoke: async () => {
        invoked += 1;
        return { ok: true };
      },
    });
    expect(lines).toEqual([
      expect.objectContaining({ found: 1, matched: 0, result: 'nothing-to-do', deleted: true }),
    ]);
    expect(invoked).toBe(0);
    expect(queue.remaining.size).toBe(0);
  });

  it('a batch the stream no longer has is kept, with what to do instead; deleted on --discard-aged-out', async () => {
    const gone = invocationRecord('shardId-00000001700000000000-deadbeef', ['000000000000000000042']);
    const unknown = { hello: 'not a batch' };
    const queue = queueOf(gone, unknown);
    const { lines, summary } = await redrive('outbox-publisher', queue.source);
    expect(lines).toEqual([
      expect.objectContaining({ result: 'aged-out', found: 0, deleted: false }),
      expect.objectContaining({ result: 'unrecognised', deleted: false }),
    ]);
    // After 24 h a closed shard is deleted: DynamoDB Local answers an unknown shard the same way.
    expect(lines[0]?.error).toBe('ResourceNotFoundException');
    expect(lines[0]?.next).toContain("--from-item 'OUTBOX#<id>/EVENT'");
    expect(summary.deleted).toBe(0);
    expect(queue.released).toEqual(['msg-1', 'msg-2']);

    const discarded = await redrive('audit-shipper', queue.source, { discardAgedOut: true });
    expect(discarded.lines[0]).toMatchObject({ result: 'aged-out', deleted: true });
    expect(discarded.lines[0]?.next).toContain('npm run audit:verify');
    expect([...queue.remaining.keys()]).toEqual(['msg-2']);
  });
});

describe('audit-shipper: entries it gave up on', () => {
  /**
   * Audit verify as `npm run audit:verify` runs it: every subject in the bucket — and the new thread's, which
   * has no link in the bucket when all its entries were given up on (verify lists subjects from the bucket).
   */
  const verify = async (threadId: string) => {
    const options = {
      s3: t.stack.s3.client(),
      bucket: t.stack.auditBucket,
      db: { client: t.table.doc, tableName: t.table.tableName },
      graceMinutes: 0,
    };
    const [all, thread] = [
      await verifyAuditArchive(options),
      await verifyAuditArchive({ ...options, subject: `THREAD#${threadId}` }),
    ];
    const seen = new Set(all.findings.map((f) => JSON.stringify(f)));
    return {
      all,
      findings: [...all.findings, ...thread.findings.filter((f) => !seen.has(JSON.stringify(f)))],
    };
  };

  it('npm run stream:redrive --local --from-file ships them from the stream: audit verify finds nothing', async () => {
    const { threadId } = await startThreadWhileFailing('audit-shipper', 'pat-redrive-3');
    const before = await verify(threadId);
    expect(before.findings.filter((f) => f.kind === 'unshipped').length).toBeGreaterThan(0);

    // The local stack's dead letters, as `aws sqs receive-message` prints a DLQ's messages.
    const saved = (await (
      await fetch(`${t.baseUrl}/local/stream-dead-letters?function=audit-shipper`)
    ).json()) as {
      Messages: Array<{ MessageId: string; Body: string }>;
    };
    expect(saved.Messages.length).toBeGreaterThan(0);
    const file = join(mkdtempSync(join(tmpdir(), 'redrive-')), 'dlq.json');
    writeFileSync(file, JSON.stringify(saved));
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', 'scripts/stream-redrive.ts', '--function', 'audit-shipper', '--local', '--from-file', file],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          DYNAMODB_ENDPOINT: t.stack.urls.dynamoDb,
          S3_ENDPOINT: t.stack.urls.s3,
          EVENTBRIDGE_ENDPOINT: t.stack.urls.eventBus,
          TABLE_NAME: t.stack.tableName,
        },
      },
    );
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const summary = lines.at(-1);
    for (const line of lines.slice(0, -1)) {
      expect(line).toMatchObject({ from: 'stream', result: 'redriven', deleted: false });
      expectNoContent(line);
    }
    expect(summary).toMatchObject({ function: 'audit-shipper', target: 'local', from: 'file', left: 0 });
    expect(summary.byResult.redriven).toBe(saved.Messages.length);

    await settle();
    const after = await verify(threadId);
    expect(after.findings).toEqual([]);
    // Every entry in the table (the subjects the bucket has, the new thread's among them) is a link.
    expect(after.all.links).toBe(after.all.tableEntries);
  }, 60_000);

  it('--from-item ships the entries audit verify reports unshipped', async () => {
    const { threadId } = await startThreadWhileFailing('audit-shipper', 'pat-redrive-4');
    const unshipped = (await verify(threadId)).findings.filter((f) => f.kind === 'unshipped');
    expect(unshipped.length).toBeGreaterThan(0);
    const lines: RedriveReport[] = [];
    await redriveItems(
      {
        functionName: 'audit-shipper',
        settings: settingsOf('audit-shipper'),
        dynamoDb: t.stack.dynamoDbClient,
        tableName: t.stack.tableName,
        region: LOCAL_REGION,
        invoke: await inProcessInvoker('audit-shipper'),
      },
      unshipped.map((f) => ({ pk: `AUDIT#${f.subject}`, sk: f.entryKey ?? '' })),
      (line) => lines.push(line),
    );
    expect(lines.map((l) => l.result)).toEqual(unshipped.map(() => 'redriven'));
    await settle();
    expect((await verify(threadId)).findings).toEqual([]);
  });
});
