import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { maskEmailAddresses } from './logger.ts';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** Sends one email and answers the provider's message id; throws when it was not accepted. */
export interface Mailer {
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
}

/**
 * SES errors quote the recipient ("…failed the check…: camille@example.org"). The X-Ray instrumentation of
 * the client (captureAWSv3Client, a `build`-step middleware) records an error's message and stack in the
 * trace, and the handler logs and traces what it throws: this middleware, innermost but for the deserializer,
 * masks the addresses in the error itself, so none of them ever sees one.
 */
export const MASK_ADDRESSES_MIDDLEWARE = 'maskEmailAddressesInErrors';

export const maskAddressesInErrors = (client: SESv2Client): void => {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (error instanceof Error) {
          error.message = maskEmailAddresses(error.message);
          if (error.stack) error.stack = maskEmailAddresses(error.stack);
        }
        throw error;
      }
    },
    { step: 'deserialize', priority: 'high', name: MASK_ADDRESSES_MIDDLEWARE, override: true },
  );
};

/**
 * SES v2 SendEmail from the configured sender (SES_FROM_ADDRESS), through the
 * configuration set when one is given (delivery events, reputation metrics).
 * Locally the client points at aws-ses-v2-local.
 */
export const sesMailer = (options: {
  client: SESv2Client;
  fromAddress: string;
  configurationSetName?: string | undefined;
}): Mailer => {
  maskAddressesInErrors(options.client);
  return {
    async send(email) {
      const result = await options.client.send(
        new SendEmailCommand({
          FromEmailAddress: options.fromAddress,
          Destination: { ToAddresses: [email.to] },
          ...(options.configurationSetName && { ConfigurationSetName: options.configurationSetName }),
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: {
                Text: { Data: email.text, Charset: 'UTF-8' },
                ...(email.html && { Html: { Data: email.html, Charset: 'UTF-8' } }),
              },
            },
          },
        }),
      );
      if (!result.MessageId) throw new Error('SES accepted the email without a MessageId');
      return { messageId: result.MessageId };
    },
  };
};

/** For processes that must never send (tests of other features): any attempt is a bug. */
export const refusingMailer: Mailer = {
  async send() {
    throw new Error('No mailer is configured in this context');
  },
};
