/**
 * The parts of `npm run stream:redrive` that need no stream (scripts/stream-redriving.ts): what a DLQ
 * message is, what counts as a failed invocation, which errors mean the stream no longer has the batch,
 * and that a message carrying its records (a failed asynchronous invocation) goes through the function's
 * own filters. Reading a real stream: test/e2e/stream-redrive.test.ts.
 */
import {
  DynamoDBStreamsClient,
  ResourceNotFoundException,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it } from 'vitest';
import { declaration as outboxPublisher } from '../../functions/outbox-publisher/function.ts';
import type { LambdaRecord } from '../../local/stream-poller.ts';
import {
  AGED_OUT_FALLBACKS,
  fileDeadLetters,
  outcomeOfResponse,
  parseDeadLetter,
  parseItemKey,
  readBatch,
  redriveMessage,
} from '../../scripts/stream-redriving.ts';
import { removeRecord } from '../support/stream-records.ts';

/** The invocation record of the AWS Lambda Developer Guide ("Retain discarded records for a DynamoDB event source"). */
const AWS_EXAMPLE = {
  requestContext: {
    requestId: '316aa6d0-8154-xmpl-9af7-85d5f4a6bc81',
    functionArn: 'arn:aws:lambda:us-east-2:123456789012:function:myfunction',
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 1,
  },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  version: '1.0',
  timestamp: '2019-11-14T00:13:49.717Z',
  DDBStreamBatchInfo: {
    shardId: 'shardId-00000001573689847184-864758bb',
    startSequenceNumber: '800000000003126276362',
    endSequenceNumber: '800000000003126276362',
    approximateArrivalOfFirstRecord: '2019-11-14T00:13:19Z',
    approximateArrivalOfLastRecord: '2019-11-14T00:13:19Z',
    batchSize: 1,
    streamArn: 'arn:aws:dynamodb:us-east-2:123456789012:table/mytable/stream/2019-11-14T00:04:06.388',
  },
};

describe('a DLQ message', () => {
  it("is Lambda's invocation record of a stream batch: where the batch is, not its records", () => {
    expect(parseDeadLetter(JSON.stringify(AWS_EXAMPLE))).toEqual({
      kind: 'batch',
      info: AWS_EXAMPLE.DDBStreamBatchInfo,
    });
  });

  it('or a failed asynchronous invocation: the event, records included', () => {
    const record = removeRecord({ pk: 'ATTACH#01J0000000000000000000000A', sk: 'ATTACHMENT' }, '7', {
      ttl: true,
    });
    expect(parseDeadLetter(JSON.stringify({ Records: [record] }))).toEqual({
      kind: 'event',
      records: [record],
    });
  });

  it('or something else, kept for a human', () => {
    for (const body of ['not json', '{}', JSON.stringify({ DDBStreamBatchInfo: { shardId: 'x' } })]) {
      expect(parseDeadLetter(body)).toEqual({ kind: 'unrecognised' });
    }
  });

  it('comes from a file as `aws sqs receive-message` prints them, as a list, or alone', async () => {
    const read = async (text: string) => {
      const out = [];
      for await (const m of fileDeadLetters(text).messages()) out.push(m);
      return out;
    };
    const body = JSON.stringify(AWS_EXAMPLE);
    expect(
      await read(JSON.stringify({ Messages: [{ MessageId: 'm-1', ReceiptHandle: 'r', Body: body }] })),
    ).toEqual([{ id: 'm-1', body }]);
    expect(await read(JSON.stringify([AWS_EXAMPLE, AWS_EXAMPLE]))).toEqual([
      { id: '#1', body },
      { id: '#2', body },
    ]);
    expect(await read(body)).toEqual([{ id: '#1', body }]);
    expect(await fileDeadLetters(body).delete({ id: '#1', body })).toBe(false);
  });
});

describe('an invocation', () => {
  it('failed when the handler answers a batch item failure, as Lambda would retry from it', () => {
    expect(outcomeOfResponse({ batchItemFailures: [] })).toEqual({ ok: true });
    expect(outcomeOfResponse(null)).toEqual({ ok: true });
    expect(outcomeOfResponse({ batchItemFailures: [{ itemIdentifier: '42' }] })).toEqual({
      ok: false,
      error: 'batchItemFailures',
      failedSequenceNumber: '42',
    });
    expect(outcomeOfResponse({ batchItemFailures: [{ itemIdentifier: '' }] })).toMatchObject({ ok: false });
  });
});

describe('a batch the stream no longer has', () => {
  /** A real client whose every call fails as DynamoDB Streams answers past the 24 hours. */
  const failingWith = (error: Error) => {
    const client = new DynamoDBStreamsClient({ region: 'eu-west-3' });
    client.middlewareStack.add(
      () => async () => {
        throw error;
      },
      { step: 'initialize' },
    );
    return client;
  };

  it.each([
    new TrimmedDataAccessException({ message: 'trimmed', $metadata: {} }),
    new ResourceNotFoundException({ message: 'no such shard', $metadata: {} }),
  ])('is aged out on $name', async (error) => {
    expect(await readBatch(failingWith(error), AWS_EXAMPLE.DDBStreamBatchInfo)).toEqual({
      ok: false,
      agedOut: true,
      error: error.name,
    });
  });

  it('is reported with what to do instead, per function', async () => {
    const options = {
      functionName: 'outbox-publisher',
      settings: outboxPublisher.stream,
      streams: failingWith(new TrimmedDataAccessException({ message: 'trimmed', $metadata: {} })),
      invoke: async () => ({ ok: true }) as const,
    };
    const line = await redriveMessage(options, { id: 'm-1', body: JSON.stringify(AWS_EXAMPLE) });
    expect(line).toMatchObject({
      result: 'aged-out',
      found: 0,
      matched: 0,
      error: 'TrimmedDataAccessException',
    });
    expect(line.next).toBe(AGED_OUT_FALLBACKS['outbox-publisher']);
  });

  it('any other error is not taken for one (it is thrown: the message stays)', async () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'LimitExceededException' });
    await expect(readBatch(failingWith(throttled), AWS_EXAMPLE.DDBStreamBatchInfo)).rejects.toThrow(
      'slow down',
    );
  });
});

describe("the function's own filters", () => {
  it('decide what it is invoked with (outbox-publisher: the TTL deletions of attachment items, not a function delete)', async () => {
    const ttl = removeRecord({ pk: 'ATTACH#01J0000000000000000000000A', sk: 'ATTACHMENT' }, '1', {
      ttl: true,
    });
    const byFunction = removeRecord({ pk: 'ATTACH#01J0000000000000000000000B', sk: 'ATTACHMENT' }, '2', {
      ttl: false,
    });
    const other = removeRecord({ pk: 'THREAD#01J0000000000000000000000C', sk: 'META' }, '3', { ttl: true });
    const invoked: LambdaRecord[][] = [];
    const line = await redriveMessage(
      {
        functionName: 'outbox-publisher',
        settings: outboxPublisher.stream,
        streams: new DynamoDBStreamsClient({ region: 'eu-west-3' }),
        invoke: async (event) => {
          invoked.push(event.Records);
          return { ok: true };
        },
      },
      { id: 'm-1', body: JSON.stringify({ Records: [ttl, byFunction, other] }) },
    );
    expect(line).toMatchObject({ from: 'message', found: 3, matched: 1, result: 'redriven', invocations: 1 });
    expect(invoked).toEqual([[ttl]]);
  });
});

describe('an item key', () => {
  it('is <pk>/<sk>', () => {
    expect(parseItemKey('OUTBOX#01J/EVENT')).toEqual({ pk: 'OUTBOX#01J', sk: 'EVENT' });
    expect(parseItemKey('AUDIT#THREAD#01J/2026-05-14T10:00:00.000Z#01K')).toEqual({
      pk: 'AUDIT#THREAD#01J',
      sk: '2026-05-14T10:00:00.000Z#01K',
    });
    for (const bad of ['OUTBOX#01J', '/EVENT', 'OUTBOX#01J/']) expect(parseItemKey(bad)).toBeNull();
  });
});
