import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { ENV, optionalEnv, requireEnv } from '../config.ts';
import { createDocumentClient, type Db } from '../db/client.ts';
import { createAppointmentRepository } from '../repositories/appointment-repository.ts';
import { createAutomationRepository } from '../repositories/automation-repository.ts';
import { createCountersRepository } from '../repositories/counters-repository.ts';
import { createDueWorkRepository } from '../repositories/due-work-repository.ts';
import { createNotificationRepository } from '../repositories/notification-repository.ts';
import { createPatientRepository } from '../repositories/patient-repository.ts';
import { createSettingsRepository } from '../repositories/settings-repository.ts';
import { createTemplateRepository } from '../repositories/template-repository.ts';
import { createThreadRepository } from '../repositories/thread-repository.ts';
import type { Deps } from '../use-cases/deps.ts';
import { systemClock } from './clock.ts';
import { ulidGenerator } from './ids.ts';
import { logger, tracer } from './logger.ts';
import { type Mailer, sesMailer } from './mailer.ts';
import { eventBridgePublisher } from './publisher.ts';

export const buildDeps = (options: {
  db: Db;
  eventBridge: EventBridgeClient;
  busName: string;
  mailer: Mailer;
  appBaseUrl: string;
}): Deps => {
  const clock = systemClock;
  const ids = ulidGenerator(clock);
  return {
    clock,
    ids,
    threads: createThreadRepository(options.db),
    settings: createSettingsRepository(options.db),
    patients: createPatientRepository(options.db),
    counters: createCountersRepository(options.db),
    notifications: createNotificationRepository(options.db),
    mailer: options.mailer,
    appBaseUrl: options.appBaseUrl,
    templates: createTemplateRepository(options.db),
    appointments: createAppointmentRepository(options.db),
    automations: createAutomationRepository(options.db),
    dueWork: createDueWorkRepository(options.db),
    events: eventBridgePublisher({
      client: options.eventBridge,
      busName: options.busName,
      ids,
      now: () => clock.now(),
      correlationId: () => (logger.getPersistentLogAttributes().correlation_id as string | undefined) ?? null,
    }),
  };
};

let cached: Deps | undefined;

/**
 * The process-wide dependencies, built on first use: SDK clients are created
 * once per Lambda container and reused by every invocation.
 */
export const depsFromEnv = (): Deps => {
  if (!cached) {
    const db: Db = {
      client: tracer.captureAWSv3Client(
        createDocumentClient({ endpoint: optionalEnv(ENV.dynamoDbEndpoint) }),
      ),
      tableName: requireEnv(ENV.tableName),
    };
    const eventBridgeEndpoint = optionalEnv(ENV.eventBridgeEndpoint);
    const eventBridge = tracer.captureAWSv3Client(
      new EventBridgeClient({ ...(eventBridgeEndpoint && { endpoint: eventBridgeEndpoint }) }),
    );
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
    const mailer = sesMailer({
      client: ses,
      fromAddress: requireEnv(ENV.sesFromAddress),
      configurationSetName: optionalEnv(ENV.sesConfigurationSet),
    });
    cached = buildDeps({
      db,
      eventBridge,
      busName: requireEnv(ENV.eventBusName),
      mailer,
      appBaseUrl: requireEnv(ENV.appBaseUrl),
    });
  }
  return cached;
};
