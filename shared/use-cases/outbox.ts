/**
 * The outbox publisher's use case: the stream records of outbox items (already
 * filtered by the event source mapping: INSERTs of `OutboxEvent` items only) become
 * the events of SPEC 10 on the bus, in stream order, each with the id, time and
 * correlation id it was written with (a retried batch puts the same event ids
 * again: consumers are idempotent, and may deduplicate on metadata.eventId).
 *
 * The mapping also lets through the TTL's deletions of attachment items (keys only):
 * each becomes the `AttachmentRemoved` that deletes the object (./ttl-removals.ts).
 */

import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { StreamBatchResponse } from '../events-consumer.ts';
import { entriesOf, outboxItemSchema } from '../repositories/outbox-repository.ts';
import { logger, metrics } from '../runtime/logger.ts';
import type { BusEntry } from '../runtime/publisher.ts';
import type { Deps } from './deps.ts';
import { ttlRemovalEntries } from './ttl-removals.ts';

interface Pending {
  sequenceNumber: string;
  entries: BusEntry[];
}

/** A REMOVE record's events: those of a TTL deletion that leaves an object behind, else none. */
const removalOf = (record: DynamoDBRecord, clock: Deps['clock']): Pending | null => {
  const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
  try {
    const entries = ttlRemovalEntries(record, clock);
    return entries.length > 0 ? { sequenceNumber, entries } : null;
  } catch (error) {
    // A key no builder of ours makes (an id its schema refuses): nothing to put, and an alarmed metric.
    metrics.addMetric('OutboxItemInvalid', 'Count', 1);
    logger.error('TTL deletion of an unexpected key; skipped', {
      sequenceNumber,
      errorName: (error as Error)?.name,
    });
    return null;
  }
};

/** One record's events, or null (and an alarmed metric) for a record that is not a valid outbox item. */
const pendingOf = (record: DynamoDBRecord, clock: Deps['clock']): Pending | null => {
  if (record.eventName === 'REMOVE') return removalOf(record, clock);
  const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || !image) return null;
  const parsed = outboxItemSchema.safeParse(unmarshall(image as Record<string, AttributeValue>));
  if (!parsed.success) {
    // Never written by the service's own outbox (its items are parsed before they are stored): nothing to put.
    metrics.addMetric('OutboxItemInvalid', 'Count', 1);
    logger.error('Stream record is not a valid outbox item; skipped', {
      sequenceNumber,
      issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), code: i.code })),
    });
    return null;
  }
  try {
    return { sequenceNumber, entries: entriesOf(parsed.data) };
  } catch (error) {
    metrics.addMetric('OutboxItemInvalid', 'Count', 1);
    logger.error('Outbox item of an unknown or invalid event; skipped', {
      sequenceNumber,
      detailTypes: parsed.data.events.map((e) => e.detailType).join(','),
      errorName: (error as Error)?.name,
    });
    return null;
  }
};

export const publishOutboxRecords = async (
  deps: Pick<Deps, 'events' | 'clock'>,
  records: readonly DynamoDBRecord[],
): Promise<StreamBatchResponse> => {
  const pending = records.map((r) => pendingOf(r, deps.clock)).filter((p): p is Pending => p !== null);
  const entries = pending.flatMap((p) => p.entries);
  if (entries.length === 0) return { batchItemFailures: [] };
  let firstFailed: number | null;
  try {
    ({ firstFailed } = await deps.events.put(entries));
  } catch (error) {
    logger.warn('The bus refused the batch; it is retried from its first event', {
      errorName: (error as Error)?.name,
    });
    firstFailed = 0;
  }
  const published = firstFailed ?? entries.length;
  metrics.addMetric('OutboxEventsPublished', 'Count', published);
  if (published > 0) {
    // Commit-to-bus delay of the oldest event just published: what the iterator-age alarm watches, per event.
    const oldest = Date.parse(entries[0]?.envelope.metadata.occurredAt ?? '');
    if (!Number.isNaN(oldest)) {
      metrics.addMetric('OutboxDelayMs', 'Milliseconds', Math.max(0, deps.clock.now().getTime() - oldest));
    }
  }
  if (firstFailed === null) return { batchItemFailures: [] };
  metrics.addMetric('OutboxPublishRetried', 'Count', 1);
  // The batch is retried from the record holding the first refused event: that record's earlier
  // events are put again with the same ids (consumers are idempotent on metadata.eventId).
  return { batchItemFailures: [{ itemIdentifier: recordOf(pending, firstFailed)?.sequenceNumber ?? '' }] };
};

/** The record whose events include the entry at `index` of the flattened batch. */
const recordOf = (pending: readonly Pending[], index: number): Pending | undefined => {
  let seen = 0;
  for (const record of pending) {
    seen += record.entries.length;
    if (index < seen) return record;
  }
  return undefined;
};
