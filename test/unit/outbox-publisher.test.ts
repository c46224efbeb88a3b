/**
 * The outbox publisher's use case on stream records: one outbox item per change,
 * its events put in order; a partial failure of the bus retries from the record
 * that holds the first refused event; a record that is not an outbox item is
 * skipped (and counted), never put. A TTL deletion of an attachment item (a REMOVE
 * record shaped like AWS's: keys only, `userIdentity` of the TTL) becomes one
 * AttachmentRemoved; a delete made by a function, or another kind's, nothing.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { MessageReceived, ThreadStarted } from '../../events/index.ts';
import { keys } from '../../shared/db/keys.ts';
import { type OutboxItem, toOutboxItem } from '../../shared/repositories/outbox-repository.ts';
import { type BusEntry, event } from '../../shared/runtime/publisher.ts';
import { publishOutboxRecords } from '../../shared/use-cases/outbox.ts';
import { removeRecord } from '../support/stream-records.ts';

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

describe('publishOutboxRecords: the TTL’s deletions of attachment items', () => {
  const ATTACHMENT = '01JD8Z0A1B2C3D4E5F6G7H8J9K';

  it('a TTL deletion of ATTACH#<id> puts one AttachmentRemoved (expired) for <id>, with the record’s id and time', async () => {
    const bus = busAccepting();
    const record = removeRecord(keys.attachment(ATTACHMENT), '5', { ttl: true, eventID: 'c4ca4238a0b9' });
    const result = await publishOutboxRecords({ events: bus, clock }, [record]);
    expect(result.batchItemFailures).toEqual([]);
    expect(bus.accepted.map((e) => [e.definition.detailType, e.envelope])).toEqual([
      [
        'AttachmentRemoved',
        {
          metadata: {
            eventId: 'c4ca4238a0b9',
            version: 1,
            occurredAt: '2046-05-14T10:00:00.000Z',
            correlationId: null,
          },
          data: { attachmentId: ATTACHMENT, reason: 'expired' },
        },
      ],
    ]);
    // A redelivery of the record puts the very same event id (attachment-remover is idempotent anyway).
    const again = busAccepting();
    await publishOutboxRecords({ events: again, clock }, [record]);
    expect(again.accepted.map((e) => e.envelope.metadata.eventId)).toEqual(['c4ca4238a0b9']);
  });

  it('a delete made by a function (no TTL identity) puts nothing: it wrote its own AttachmentRemoved', async () => {
    const bus = busAccepting();
    const result = await publishOutboxRecords({ events: bus, clock }, [
      removeRecord(keys.attachment(ATTACHMENT), '6', { ttl: false }),
    ]);
    expect(result.batchItemFailures).toEqual([]);
    expect(bus.accepted).toEqual([]);
  });

  it('a TTL deletion of any other kind puts nothing', async () => {
    const bus = busAccepting();
    await publishOutboxRecords({ events: bus, clock }, [
      removeRecord(keys.outboxEvent('01JD8Z0A1B2C3D4E5F6G7H8J9M'), '7', { ttl: true }),
      removeRecord({ pk: 'THREAD#t-1', sk: 'MSG#01JD8Z0A1B2C3D4E5F6G7H8J9N' }, '8', { ttl: true }),
      removeRecord({ pk: `DUE#attachment-expiry-${ATTACHMENT}`, sk: 'DUE' }, '9', { ttl: true }),
      removeRecord({ pk: `ATTACH#${ATTACHMENT}`, sk: 'OTHER' }, '10', { ttl: true }),
    ]);
    expect(bus.accepted).toEqual([]);
  });

  it('in stream order with the outbox’s events; a refused one is retried from its record', async () => {
    const records = [
      recordOf(itemOf(received('m-1')), '1'),
      removeRecord(keys.attachment(ATTACHMENT), '2', { ttl: true }),
      recordOf(itemOf(received('m-2')), '3'),
    ];
    const bus = busAccepting();
    await publishOutboxRecords({ events: bus, clock }, records);
    expect(bus.accepted.map((e) => e.definition.detailType)).toEqual([
      'MessageReceived',
      'AttachmentRemoved',
      'MessageReceived',
    ]);
    const refused = await publishOutboxRecords({ events: busAccepting(1), clock }, records);
    expect(refused.batchItemFailures).toEqual([{ itemIdentifier: '2' }]);
  });

  it('skips a TTL deletion whose key no builder makes (an id its schema refuses) and puts the rest', async () => {
    const bus = busAccepting();
    const result = await publishOutboxRecords({ events: bus, clock }, [
      removeRecord({ pk: `ATTACH#${'x'.repeat(200)}`, sk: 'ATTACHMENT' }, '1', { ttl: true }),
      removeRecord(keys.attachment(ATTACHMENT), '2', { ttl: true }),
    ]);
    expect(result.batchItemFailures).toEqual([]);
    expect(bus.accepted.map((e) => e.envelope.data)).toEqual([
      { attachmentId: ATTACHMENT, reason: 'expired' },
    ]);
  });
});
