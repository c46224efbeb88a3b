/**
 * The outbox publisher's use case on stream records: one outbox item per change,
 * its events put in order; a partial failure of the bus retries from the record
 * that holds the first refused event; a record that is not an outbox item is
 * skipped (and counted), never put.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { MessageReceived, ThreadStarted } from '../../events/index.ts';
import { type OutboxItem, toOutboxItem } from '../../shared/repositories/outbox-repository.ts';
import { type BusEntry, event } from '../../shared/runtime/publisher.ts';
import { publishOutboxRecords } from '../../shared/use-cases/outbox.ts';

const AT = '2026-12-01T09:00:00.000Z';
const ids = { threadId: 't-1', practitionerId: 'dr-1', patientId: 'pat-1' };
const started = event(ThreadStarted, { ...ids, origin: 'patient', appointmentId: null, startedAt: AT });
const received = (messageId: string) => event(MessageReceived, { ...ids, messageId, receivedAt: AT });

const itemOf = (...events: ReturnType<typeof received>[]): OutboxItem =>
  toOutboxItem(events, { changeId: ulid(), eventIds: ulid, occurredAt: AT, correlationId: 'req-1' });

const recordOf = (item: object, sequenceNumber: string): DynamoDBRecord => ({
  eventName: 'INSERT',
  dynamodb: {
    SequenceNumber: sequenceNumber,
    NewImage: marshall(item) as Record<string, AttributeValue> as never,
  },
});

/** A bus accepting entries up to `acceptUpTo` (exclusive) of each call, recording what it accepted. */
const busAccepting = (acceptUpTo = Number.POSITIVE_INFINITY) => {
  const accepted: BusEntry[] = [];
  return {
    accepted,
    put: async (entries: readonly BusEntry[]) => {
      accepted.push(...entries.slice(0, acceptUpTo));
      return { firstFailed: entries.length > acceptUpTo ? acceptUpTo : null };
    },
  };
};
const clock = { now: () => new Date(AT) };

describe('publishOutboxRecords', () => {
  it('puts every event of every item, in order, with the ids and correlation id the item holds', async () => {
    const first = itemOf(started, received('m-1'));
    const second = itemOf(received('m-2'));
    const bus = busAccepting();
    const result = await publishOutboxRecords({ events: bus, clock }, [
      recordOf(first, '1'),
      recordOf(second, '2'),
    ]);
    expect(result.batchItemFailures).toEqual([]);
    expect(bus.accepted.map((e) => e.definition.detailType)).toEqual([
      'ThreadStarted',
      'MessageReceived',
      'MessageReceived',
    ]);
    expect(bus.accepted.map((e) => e.envelope.metadata.eventId)).toEqual([
      ...first.events.map((e) => e.eventId),
      ...second.events.map((e) => e.eventId),
    ]);
    expect(new Set(bus.accepted.map((e) => e.envelope.metadata.correlationId))).toEqual(new Set(['req-1']));
  });

  it('retries from the record holding the first refused event (its earlier events again, same ids)', async () => {
    const records = [
      recordOf(itemOf(received('m-1')), '1'),
      recordOf(itemOf(started, received('m-2')), '2'),
      recordOf(itemOf(received('m-3')), '3'),
    ];
    // The bus takes m-1 and ThreadStarted, refuses MessageReceived m-2: record 2 is where the retry starts.
    const result = await publishOutboxRecords({ events: busAccepting(2), clock }, records);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '2' }]);
  });

  it('retries the whole batch from its first record when the bus throws', async () => {
    const result = await publishOutboxRecords(
      {
        events: {
          put: async () => {
            throw new Error('throttled');
          },
        },
        clock,
      },
      [recordOf(itemOf(received('m-1')), '7'), recordOf(itemOf(received('m-2')), '8')],
    );
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '7' }]);
  });

  it('skips a record that is not a valid outbox item (a stray attribute, text) and puts the rest', async () => {
    const withText = { ...itemOf(received('m-1')), body: 'douleur thoracique' };
    const bus = busAccepting();
    const result = await publishOutboxRecords({ events: bus, clock }, [
      recordOf(withText, '1'),
      recordOf(itemOf(received('m-2')), '2'),
    ]);
    expect(result.batchItemFailures).toEqual([]);
    expect(bus.accepted.map((e) => (e.envelope.data as { messageId: string }).messageId)).toEqual(['m-2']);
  });
});
