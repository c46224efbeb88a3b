import { MessageSent } from '../../events/message-sent.ts';
import { eventConsumer, on } from '../../shared/events-consumer.ts';
import { sesMailerAdapter } from '../../shared/runtime/ses-mailer.ts';
import { NotificationNotSent, notifyPatientOfMessage } from '../../shared/use-cases/notifications.ts';
import { declaration } from './function.ts';

/** MessageSent → a neutral "Nouveau message" email at the patient's verified address, once per message, never the text. */
export const handler = eventConsumer(
  declaration,
  [
    on(MessageSent, async (data, _event, deps) => {
      const outcome = await notifyPatientOfMessage(deps, data);
      if (outcome === 'failed') throw new NotificationNotSent('Patient notification');
      return outcome;
    }),
  ],
  { mailer: sesMailerAdapter },
);
