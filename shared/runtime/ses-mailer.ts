import { SESv2Client } from '@aws-sdk/client-sesv2';
import { ENV, optionalEnv, requireEnv } from '../config.ts';
import type { MailerAdapter } from './function-deps.ts';
import { sesMailer } from './mailer.ts';

/**
 * The SES mailer, for the functions declared `sendsEmail` (their handler passes
 * it: `eventConsumer(declaration, entries, { mailer: sesMailerAdapter })`). Kept
 * in its own module so the SESv2 client is bundled into those Lambdas only.
 */
export const sesMailerAdapter: MailerAdapter = (context) => {
  const endpoint = optionalEnv(ENV.sesEndpoint);
  const client = context.client(
    'ses',
    new SESv2Client({
      ...(endpoint && { endpoint }),
      // Short timeouts: a hung send must fail (and release its claim) well before the function times out.
      // Adaptive retries slow this process down when SES throttles (a group message emails many patients).
      requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
      retryMode: 'adaptive',
      maxAttempts: 3,
    }),
  );
  return sesMailer({
    client,
    fromAddress: requireEnv(ENV.sesFromAddress),
    configurationSetName: optionalEnv(ENV.sesConfigurationSet),
  });
};
