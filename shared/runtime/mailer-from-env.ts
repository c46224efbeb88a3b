import { SESv2Client } from '@aws-sdk/client-sesv2';
import { ENV, optionalEnv, requireEnv } from '../config.ts';
import type { Deps } from '../use-cases/deps.ts';
import { depsFromEnv } from './deps-from-env.ts';
import { tracer } from './logger.ts';
import { sesMailer } from './mailer.ts';

let cached: Deps | undefined;

/**
 * depsFromEnv() plus a real SES mailer, for the functions that send email
 * (notify-patient, notify-practitioner, untreated-sweep). Kept in its own module
 * so the SESv2 client is bundled into those Lambdas only.
 */
export const depsWithMailerFromEnv = (): Deps => {
  if (!cached) {
    const sesEndpoint = optionalEnv(ENV.sesEndpoint);
    // Short timeouts: a hung send must fail (and release its claim) well before the function times out.
    // Adaptive retries slow this process down when SES throttles (a group message emails many patients).
    const ses = tracer.captureAWSv3Client(
      new SESv2Client({
        ...(sesEndpoint && { endpoint: sesEndpoint }),
        requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
        retryMode: 'adaptive',
        maxAttempts: 3,
      }),
    );
    cached = {
      ...depsFromEnv(),
      mailer: sesMailer({
        client: ses,
        fromAddress: requireEnv(ENV.sesFromAddress),
        configurationSetName: optionalEnv(ENV.sesConfigurationSet),
      }),
    };
  }
  return cached;
};
