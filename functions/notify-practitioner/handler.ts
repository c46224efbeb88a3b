import { MessageReceived } from '../../events/message-received.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import { depsWithMailerFromEnv } from '../../shared/runtime/mailer-from-env.ts';
import { NotificationNotSent, onPatientMessageReceived } from '../../shared/use-cases/notifications.ts';

/** MessageReceived → keep the sweep index exact, then the threshold digest or the every_message email. */
export const handler = eventConsumer(
  'notify-practitioner',
  [
    on(MessageReceived, async (data, _event, deps) => {
      const outcome = await onPatientMessageReceived(deps, data);
      if (outcome === 'failed') throw new NotificationNotSent('Practitioner notification');
      return outcome;
    }),
  ],
  depsWithMailerFromEnv,
);
