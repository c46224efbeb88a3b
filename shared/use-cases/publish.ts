import { logger, metrics } from '../runtime/logger.ts';
import type { PublishedEvent } from '../runtime/publisher.ts';
import type { Deps } from './deps.ts';

/** Business metrics from what was committed (whether or not the bus takes the events). */
const MESSAGE_METRICS: Record<string, string> = {
  MessageSent: 'MessagesSent',
  MessageReceived: 'MessagesReceived',
};

const countMessages = (events: PublishedEvent[]) => {
  for (const { definition } of events) {
    const metric = MESSAGE_METRICS[definition.detailType];
    if (metric) metrics.addMetric(metric, 'Count', 1);
  }
};

/**
 * Events are published after the transaction committed: the write is the truth
 * and has happened, so a bus failure must not turn it into an error for the
 * caller. It is logged (types and ids only) and counted so an alarm can fire.
 */
export const publishAfterCommit = async (
  deps: Pick<Deps, 'events'>,
  events: PublishedEvent[],
): Promise<void> => {
  countMessages(events);
  try {
    await deps.events.publish(events);
  } catch (error) {
    metrics.addMetric('EventPublishFailed', 'Count', 1);
    logger.error('Event publication failed after commit', {
      detailTypes: events.map((e) => e.definition.detailType),
      errorName: (error as Error)?.name,
    });
  }
};
