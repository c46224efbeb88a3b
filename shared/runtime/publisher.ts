import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type * as z from 'zod';
import type { EventDefinition } from '../../events/define.ts';

/** The envelope every published detail has: consumers read `data`, operators `metadata`. */
export interface EventEnvelope<D> {
  metadata: { eventId: string; version: number; occurredAt: string; correlationId: string | null };
  data: D;
}

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

export interface EventPublisher {
  publish(events: PublishedEvent[]): Promise<void>;
}

const PUT_EVENTS_MAX_ENTRIES = 10;

/**
 * Validates each detail against its event's strict schema before it leaves, so an
 * event can never carry a field (such as message text) its schema does not name.
 */
export const eventBridgePublisher = (options: {
  client: EventBridgeClient;
  busName: string;
  ids: { next(): string };
  now: () => Date;
  correlationId?: () => string | null;
}): EventPublisher => ({
  async publish(events) {
    const entries = events.map(({ definition, data }) => ({
      Source: definition.source,
      DetailType: definition.detailType,
      EventBusName: options.busName,
      Detail: JSON.stringify({
        metadata: {
          eventId: options.ids.next(),
          version: definition.version,
          occurredAt: options.now().toISOString(),
          correlationId: options.correlationId?.() ?? null,
        },
        data: definition.schema.parse(data),
      } satisfies EventEnvelope<unknown>),
    }));
    for (let i = 0; i < entries.length; i += PUT_EVENTS_MAX_ENTRIES) {
      const result = await options.client.send(
        new PutEventsCommand({ Entries: entries.slice(i, i + PUT_EVENTS_MAX_ENTRIES) }),
      );
      if (result.FailedEntryCount) {
        throw new Error(`EventBridge refused ${result.FailedEntryCount} event(s)`);
      }
    }
  },
});
