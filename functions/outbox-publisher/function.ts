import { PUBLISHED_EVENTS } from '../../events/registry.ts';
import { streamFunction } from '../../shared/function-model/declaration.ts';
import { OUTBOX_ENTITY } from '../../shared/repositories/outbox-repository.ts';

/**
 * The only function that puts events on the bus: it reads them from the table's
 * stream (the transactional outbox, shared/repositories/outbox-repository.ts).
 */
export const declaration = streamFunction({
  name: 'outbox-publisher',
  summary: 'Puts the events written to the outbox on the bus, from the table stream',
  stream: {
    // Filtered at the source: only new outbox items reach the function (never a message and its text).
    filters: [{ eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: [OUTBOX_ENTITY] } } } }],
    batchSize: 100,
    maxBatchingWindowSeconds: 0,
    retryAttempts: 10,
    maxRecordAgeSeconds: 6 * 60 * 60,
    parallelizationFactor: 10,
  },
  access: { publishes: [...PUBLISHED_EVENTS.values()] },
});
