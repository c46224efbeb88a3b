import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventDefinition } from '../../events/define.ts';
import type * as z from '../validation.ts';

/** The envelope every published detail has: consumers read `data`, operators `metadata`. */
export interface EventEnvelope<D> {
  metadata: { eventId: string; version: number; occurredAt: string; correlationId: string | null };
  data: D;
}

/** An event a change causes, before it is given an id and written to the outbox. */
export interface PublishedEvent {
  definition: EventDefinition;
  data: unknown;
}

export const event = <E extends EventDefinition>(
  definition: E,
  data: z.input<E['schema']>,
): PublishedEvent => ({
  definition,
  data,
});

/** One event ready for the bus: its definition and its whole detail. */
export interface BusEntry {
  definition: EventDefinition;
  envelope: EventEnvelope<unknown>;
}

/**
 * The bus, as the outbox publisher (functions/outbox-publisher) sees it; no other
 * function puts events: they write them to the outbox in their transactions.
 */
export interface EventBus {
  /** Puts the entries, in order; answers the index of the first one not accepted (null: all were). */
  put(entries: readonly BusEntry[]): Promise<{ firstFailed: number | null }>;
}

const PUT_EVENTS_MAX_ENTRIES = 10;

export const eventBridgeBus = (options: { client: EventBridgeClient; busName: string }): EventBus => ({
  async put(entries) {
    for (let start = 0; start < entries.length; start += PUT_EVENTS_MAX_ENTRIES) {
      const batch = entries.slice(start, start + PUT_EVENTS_MAX_ENTRIES);
      const result = await options.client.send(
        new PutEventsCommand({
          Entries: batch.map(({ definition, envelope }) => ({
            Source: definition.source,
            DetailType: definition.detailType,
            EventBusName: options.busName,
            Detail: JSON.stringify(envelope),
          })),
        }),
      );
      if (result.FailedEntryCount) {
        const failedAt = (result.Entries ?? []).findIndex((entry) => entry.ErrorCode);
        return { firstFailed: start + Math.max(0, failedAt) };
      }
    }
    return { firstFailed: null };
  },
});
