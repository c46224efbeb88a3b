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

/** What a republish-events due item carries: detail-types and their ids-only data, never text. */
export const republishPayload = (events: PublishedEvent[]) => ({
  events: JSON.stringify(events.map(({ definition, data }) => ({ detailType: definition.detailType, data }))),
});

/**
 * Events are published after the transaction committed: the write is the truth
 * and has happened, so a bus failure must not turn it into an error for the
 * caller. The events are handed to the due-work queue instead, which puts them
 * on the bus again within a minute (consumers are idempotent); only if that
 * also fails are they lost — logged (types only) and counted for the alarm.
 */
export const publishAfterCommit = async (
  deps: Pick<Deps, 'events' | 'dueWork' | 'clock' | 'ids'>,
  events: PublishedEvent[],
): Promise<void> => {
  countMessages(events);
  try {
    await deps.events.publish(events);
  } catch (error) {
    metrics.addMetric('EventPublishDeferred', 'Count', 1);
    const detailTypes = events.map((e) => e.definition.detailType);
    try {
      const now = deps.clock.now().toISOString();
      await deps.dueWork.schedule(
        {
          workId: `republish.${deps.ids.next()}`,
          kind: 'republish-events',
          payload: republishPayload(events),
          dueAt: now,
        },
        now,
      );
      logger.warn('Event publication failed after commit; queued for republishing', {
        detailTypes,
        errorName: (error as Error)?.name,
      });
    } catch (queueError) {
      metrics.addMetric('EventPublishFailed', 'Count', 1);
      logger.error('Event publication failed after commit', {
        detailTypes,
        errorName: (error as Error)?.name,
        queueErrorName: (queueError as Error)?.name,
      });
    }
  }
};
