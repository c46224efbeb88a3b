import { MessageReceived } from '../../events/message-received.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import { statsRepository } from '../../shared/runtime/optional-repositories.ts';
import { sesMailerAdapter } from '../../shared/runtime/ses-mailer.ts';
import { NotificationNotSent, onPatientMessageReceived } from '../../shared/use-cases/notifications.ts';
import { declaration } from './function.ts';

/** MessageReceived → keep the sweep index exact, then the threshold digest or the every_message email. */
export const handler = eventConsumer(
  declaration,
  [
    on(MessageReceived, async (data, _event, deps) => {
      const outcome = await onPatientMessageReceived(deps, data);
      if (outcome === 'failed') throw new NotificationNotSent('Practitioner notification');
      return outcome;
    }),
  ],
  // The digest's week line reads the time-to-treat statistics.
  { mailer: sesMailerAdapter, repositories: statsRepository },
);
