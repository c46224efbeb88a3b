/**
 * The transactional outbox: the events a change causes are written as one item
 * in the change's own transaction, so the change and its events commit or fail
 * together — a crash after the commit can delay an event, never lose it. The
 * table's stream carries the items to the outbox publisher
 * (functions/outbox-publisher), which puts them on the bus; TTL removes them.
 *
 * An item holds what the events will carry and nothing else: for each, the
 * detail-type, its id and the detail validated by the event's strict schema (ids
 * and timestamps only, never message text); and the envelope's shared metadata
 * (time, correlation id).
 */
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { PUBLISHED_EVENTS } from '../../events/registry.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { OptimisticConflict } from '../db/transactions.ts';
import type { Clock } from '../runtime/clock.ts';
import type { IdGenerator } from '../runtime/ids.ts';
import type { BusEntry, PublishedEvent } from '../runtime/publisher.ts';
import * as z from '../validation.ts';
import type { ExtraTransactItem, TransactItem } from './thread-repository.ts';

export const OUTBOX_ENTITY = 'OutboxEvent';
const SCHEMA_VERSION = 1;
/** A change causes a handful of events; the bound keeps an item far below DynamoDB's 400 KB. */
const MAX_EVENTS_PER_ITEM = 25;
/** The stream keeps records 24 hours; the item itself is only needed until it was read from it. */
export const OUTBOX_RETENTION_SECONDS = 2 * 24 * 60 * 60;

/** One event of an outbox item: what the bus entry will carry. */
const outboxEventSchema = z.strictObject({
  source: z.string(),
  detailType: z.string(),
  version: z.number().check(z.int()),
  eventId: z.string(),
  data: z.record(z.string(), z.unknown()),
});

/**
 * An outbox item as stored (and as it comes back, unmarshalled, from the stream):
 * ONE item per change, holding all the events the change causes, so a change
 * pays one more item in its transaction whatever it emits.
 */
export const outboxItemSchema = z.strictObject({
  pk: z.string(),
  sk: z.string(),
  entity: z.literal(OUTBOX_ENTITY),
  schemaVersion: z.literal(SCHEMA_VERSION),
  occurredAt: z.string(),
  correlationId: z.nullable(z.string()),
  events: z.array(outboxEventSchema).check(z.minLength(1), z.maxLength(MAX_EVENTS_PER_ITEM)),
  expiresAt: z.number().check(z.int()),
});

export type OutboxItem = z.infer<typeof outboxItemSchema>;

export const toOutboxItem = (
  events: readonly PublishedEvent[],
  meta: { changeId: string; eventIds: () => string; occurredAt: string; correlationId: string | null },
): OutboxItem => ({
  ...keys.outboxEvent(meta.changeId),
  entity: OUTBOX_ENTITY,
  schemaVersion: SCHEMA_VERSION,
  occurredAt: meta.occurredAt,
  correlationId: meta.correlationId,
  events: events.map((event) => ({
    source: event.definition.source,
    detailType: event.definition.detailType,
    version: event.definition.version,
    eventId: meta.eventIds(),
    // Parsed here, before the transaction: a detail its strict schema refuses (a stray field, text) is never stored.
    data: z.parse(event.definition.schema, event.data) as Record<string, unknown>,
  })),
  expiresAt: Math.floor(Date.parse(meta.occurredAt) / 1000) + OUTBOX_RETENTION_SECONDS,
});

/** What the publisher puts on the bus for an item: each event's definition and envelope (detail), in order. */
export const entriesOf = (item: OutboxItem): BusEntry[] =>
  item.events.map((event) => {
    const definition = PUBLISHED_EVENTS.get(event.detailType);
    if (!definition || definition.source !== event.source) {
      throw new Error(`Outbox item of an unknown event: ${event.source} / ${event.detailType}`);
    }
    return {
      definition,
      envelope: {
        metadata: {
          eventId: event.eventId,
          version: event.version,
          occurredAt: item.occurredAt,
          correlationId: item.correlationId,
        },
        // Checked again on the way out: an item written by an older version still cannot carry more.
        data: z.parse(definition.schema, event.data) as Record<string, unknown>,
      },
    };
  });

export interface Outbox {
  /** The Put of the change's outbox item (none without events), to add to the change's transaction. */
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
  // A change's events fit one item; a group communication's chunk (two events per recipient) takes one
  // item per MAX_EVENTS_PER_ITEM, all in the chunk's transaction.
  const items = (events: readonly PublishedEvent[]): TransactItem[] => {
    const occurredAt = core.clock.now().toISOString();
    const puts: TransactItem[] = [];
    for (let i = 0; i < events.length; i += MAX_EVENTS_PER_ITEM) {
      const item = toOutboxItem(events.slice(i, i + MAX_EVENTS_PER_ITEM), {
        changeId: core.ids.next(),
        eventIds: () => core.ids.next(),
        occurredAt,
        correlationId,
      });
      puts.push({
        Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
      });
    }
    return puts;
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
