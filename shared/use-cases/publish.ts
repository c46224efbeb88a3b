import type { EventDefinition } from '../../events/define.ts';
import { metrics } from '../runtime/logger.ts';

/** Business metrics by event: counted where the change committed (the bus may deliver it more than once). */
const MESSAGE_METRICS: Record<string, string> = {
  MessageSent: 'MessagesSent',
  MessageReceived: 'MessagesReceived',
};

/**
 * Counts what a committed change caused (MessagesSent, MessagesReceived). The
 * events themselves went to the outbox in the change's transaction
 * (shared/repositories/outbox-repository.ts): nothing is published on the request path.
 */
export const countCommitted = (definitions: readonly EventDefinition[]): void => {
  for (const definition of definitions) {
    const metric = MESSAGE_METRICS[definition.detailType];
    if (metric) metrics.addMetric(metric, 'Count', 1);
  }
};
