import { CommunicationChunkRequested } from '../../events/communication-chunk-requested.ts';
import { CommunicationFinished } from '../../events/communication-finished.ts';
import { CommunicationRequested } from '../../events/communication-requested.ts';
import { FANOUT_POLICY } from '../../shared/domain/communications.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import { communicationRepository } from '../../shared/runtime/optional-repositories.ts';
import {
  type ChunkRequest,
  runCommunicationChunk,
  settleCommunicationAttachments,
} from '../../shared/use-cases/communications.ts';
import { declaration } from './function.ts';

/**
 * The group-communication fan-out: ONE bounded chunk per delivery, then the
 * next chunk is handed on as a new event. It stops taking recipients once its
 * time budget is spent (well inside the 30 s timeout) and hands the rest on.
 * Its CommunicationFinished comes back here too, to settle the attachments.
 */
const runChunk = (deps: Parameters<typeof runCommunicationChunk>[0], request: ChunkRequest) => {
  const startedAt = performance.now();
  return runCommunicationChunk(deps, request, {
    shouldContinue: () => performance.now() - startedAt < FANOUT_POLICY.chunkTimeBudgetMs,
  });
};

export const handler = eventConsumer(
  declaration,
  [
    on(CommunicationRequested, (data, _event, deps) =>
      runChunk(deps, { practitionerId: data.practitionerId, communicationId: data.communicationId, seq: 0 }),
    ),
    on(CommunicationChunkRequested, (data, _event, deps) =>
      runChunk(deps, {
        practitionerId: data.practitionerId,
        communicationId: data.communicationId,
        seq: data.seq,
      }),
    ),
    // Its end (from its last chunk or its watchdog): the attachments it took are kept or released.
    on(CommunicationFinished, (data, _event, deps) => settleCommunicationAttachments(deps, data)),
  ],
  { repositories: communicationRepository },
);
