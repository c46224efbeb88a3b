import { MessageSent } from '../../events/message-sent.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import { depsWithMailerFromEnv } from '../../shared/runtime/mailer-from-env.ts';
import { NotificationNotSent, notifyPatientOfMessage } from '../../shared/use-cases/notifications.ts';

/** MessageSent → "Vous avez un nouveau message de …" to the patient, once per message, never the text. */
export const handler = eventConsumer(
  'notify-patient',
  [
    on(MessageSent, async (data, _event, deps) => {
      const outcome = await notifyPatientOfMessage(deps, data);
      if (outcome === 'failed') throw new NotificationNotSent('Patient notification');
      return outcome;
    }),
  ],
  depsWithMailerFromEnv,
);
