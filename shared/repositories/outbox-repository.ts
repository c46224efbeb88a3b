/**
 * The transactional outbox: every event a change causes is written as an item
 * in the change's own transaction, so the change and its events commit or fail
 * together — a crash after the commit can delay an event, never lose it. The
 * table's stream carries the items to the outbox publisher
 * (functions/outbox-publisher), which puts them on the bus; TTL removes them.
 *
 * An item holds what the event will carry and nothing else: the detail-type, the
 * detail validated by the event's strict schema (ids and timestamps only, never
 * message text), and the envelope's metadata (event id, time, correlation id).
 */
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { EventDefinition } from '../../events/define.ts';
import { PUBLISHED_EVENTS } from '../../events/registry.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { OptimisticConflict } from '../db/transactions.ts';
import type { Clock } from '../runtime/clock.ts';
import type { IdGenerator } from '../runtime/ids.ts';
import type { EventEnvelope, PublishedEvent } from '../runtime/publisher.ts';
import type { ExtraTransactItem, TransactItem } from './thread-repository.ts';

export const OUTBOX_ENTITY = 'OutboxEvent';
const SCHEMA_VERSION = 1;
/** The stream keeps records 24 hours; the item itself is only needed until it was read from it. */
export const OUTBOX_RETENTION_SECONDS = 2 * 24 * 60 * 60;

/** An outbox item as stored (and as it comes back, unmarshalled, from the stream). */
export const outboxItemSchema = z.object({
  pk: z.string(),
  sk: z.string(),
  entity: z.literal(OUTBOX_ENTITY),
  schemaVersion: z.literal(SCHEMA_VERSION),
  source: z.string(),
  detailType: z.string(),
  version: z.number().int(),
  eventId: z.string(),
  occurredAt: z.string(),
  correlationId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  expiresAt: z.number().int(),
});

export type OutboxItem = z.infer<typeof outboxItemSchema>;

export const toOutboxItem = (
  event: PublishedEvent,
  meta: { eventId: string; occurredAt: string; correlationId: string | null },
): OutboxItem => ({
  ...keys.outboxEvent(meta.eventId),
  entity: OUTBOX_ENTITY,
  schemaVersion: SCHEMA_VERSION,
  source: event.definition.source,
  detailType: event.definition.detailType,
  version: event.definition.version,
  eventId: meta.eventId,
  occurredAt: meta.occurredAt,
  correlationId: meta.correlationId,
  // Parsed here, before the transaction: a detail its strict schema refuses (a stray field, text) is never stored.
  data: event.definition.schema.parse(event.data) as Record<string, unknown>,
  expiresAt: Math.floor(Date.parse(meta.occurredAt) / 1000) + OUTBOX_RETENTION_SECONDS,
});

/** What the publisher puts on the bus for an item: its definition and the envelope (detail) of the event. */
export const envelopeOf = (
  item: OutboxItem,
): { definition: EventDefinition; envelope: EventEnvelope<Record<string, unknown>> } => {
  const definition = PUBLISHED_EVENTS.get(item.detailType);
  if (!definition || definition.source !== item.source) {
    throw new Error(`Outbox item of an unknown event: ${item.source} / ${item.detailType}`);
  }
  return {
    definition,
    envelope: {
      metadata: {
        eventId: item.eventId,
        version: item.version,
        occurredAt: item.occurredAt,
        correlationId: item.correlationId,
      },
      // Checked again on the way out: an item written by an older version still cannot carry more.
      data: definition.schema.parse(item.data) as Record<string, unknown>,
    },
  };
};

export interface Outbox {
  /** The Put of each event, to add to the transaction of the change that causes them. */
  items(events: readonly PublishedEvent[]): TransactItem[];
  /** The same, as extra items of a thread change. */
  extraItems(events: readonly PublishedEvent[]): ExtraTransactItem[];
  /**
   * Events on their own, for a recovery path with no change to commit (a chunk
   * handed on again, a stalled fan-out resumed): written, then carried like any other.
   */
  write(events: readonly PublishedEvent[]): Promise<void>;
  /** This outbox, stamping the given correlation id (the request or delivery being served). */
  correlatedWith(correlationId: string | null): Outbox;
}

export const createOutbox = (
  db: Db,
  core: { ids: IdGenerator; clock: Clock },
  correlationId: string | null = null,
): Outbox => {
  const { tableName } = db;
  const items = (events: readonly PublishedEvent[]): TransactItem[] => {
    const occurredAt = core.clock.now().toISOString();
    return events.map((event) => ({
      Put: {
        TableName: tableName,
        Item: toOutboxItem(event, { eventId: core.ids.next(), occurredAt, correlationId }),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    }));
  };
  return {
    items,
    extraItems: (events) =>
      // Only possible if an event id were reused: the whole change is retried with fresh ids.
      items(events).map((item) => ({ item, onConditionFailed: () => new OptimisticConflict() })),
    async write(events) {
      if (events.length === 0) return;
      await db.client.send(new TransactWriteCommand({ TransactItems: items(events) }));
    },
    correlatedWith: (id) => createOutbox(db, core, id),
  };
};
