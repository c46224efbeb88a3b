import { streamConsumer } from '../../shared/events-consumer.ts';
import { eventBusAdapter } from '../../shared/runtime/event-bus.ts';
import { publishOutboxRecords } from '../../shared/use-cases/outbox.ts';
import { declaration } from './function.ts';

/** Outbox items from the table stream → the bus; answers the first record to retry from. */
export const handler = streamConsumer(declaration, (records, deps) => publishOutboxRecords(deps, records), {
  bus: eventBusAdapter,
});
