import { PUBLISHED_EVENTS } from '../../events/registry.ts';
import { ATTACHMENT_PK_PREFIX, ATTACHMENT_SK } from '../../shared/db/keys.ts';
import { ttlDeletionsFilter } from '../../shared/db/stream-records.ts';
import { streamFunction } from '../../shared/function-model/declaration.ts';
import { OUTBOX_ENTITY } from '../../shared/repositories/outbox-repository.ts';

/**
 * The only function that puts events on the bus: it reads them from the table's stream (the
 * transactional outbox, shared/repositories/outbox-repository.ts), and turns the TTL's deletions of
 * attachment items into the AttachmentRemoved that deletes their objects (shared/use-cases/ttl-removals.ts).
 */
export const declaration = streamFunction({
  name: 'outbox-publisher',
  summary:
    'Puts the events written to the outbox on the bus, from the table stream, and an AttachmentRemoved for each attachment item the TTL deletes',
  stream: {
    // Filtered at the source: only new outbox items reach the function (never a message and its text)…
    filters: [
      { eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: [OUTBOX_ENTITY] } } } },
      // …and the TTL's deletions of attachment items, keys only (ids): never a delete made by a function
      // (its AttachmentRemoved is already in its transaction's outbox item), never another kind's.
      ttlDeletionsFilter({ pkPrefix: ATTACHMENT_PK_PREFIX, sk: ATTACHMENT_SK }),
    ],
    batchSize: 100,
    maxBatchingWindowSeconds: 0,
    retryAttempts: 10,
    maxRecordAgeSeconds: 6 * 60 * 60,
    parallelizationFactor: 10,
  },
  access: { publishes: [...PUBLISHED_EVENTS.values()] },
});
