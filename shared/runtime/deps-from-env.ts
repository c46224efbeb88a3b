import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ENV, optionalEnv, requireEnv } from '../config.ts';
import { createDocumentClient, type Db } from '../db/client.ts';
import { createAppointmentRepository } from '../repositories/appointment-repository.ts';
import { createAuditRepository } from '../repositories/audit-repository.ts';
import { createAutomationRepository } from '../repositories/automation-repository.ts';
import { createCommunicationRepository } from '../repositories/communication-repository.ts';
import { createCountersRepository } from '../repositories/counters-repository.ts';
import { createDueWorkRepository } from '../repositories/due-work-repository.ts';
import { createNotificationRepository } from '../repositories/notification-repository.ts';
import { createPatientRepository } from '../repositories/patient-repository.ts';
import { createScheduledMessageRepository } from '../repositories/scheduled-message-repository.ts';
import { createSettingsRepository } from '../repositories/settings-repository.ts';
import { createTemplateRepository } from '../repositories/template-repository.ts';
import { createThreadRepository } from '../repositories/thread-repository.ts';
import type { Deps } from '../use-cases/deps.ts';
import { systemClock } from './clock.ts';
import { ulidGenerator } from './ids.ts';
import { localEmulation } from './local-emulation.ts';
import { logger, tracer } from './logger.ts';
import { type Mailer, refusingMailer } from './mailer.ts';
import { eventBridgePublisher } from './publisher.ts';

export const buildDeps = (options: {
  db: Db;
  eventBridge: EventBridgeClient;
  busName: string;
  mailer: Mailer;
  appBaseUrl: string;
}): Deps => {
  const clock = localEmulation().clock ?? systemClock;
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
    communications: createCommunicationRepository(options.db),
    scheduledMessages: createScheduledMessageRepository(options.db),
    audit: createAuditRepository(options.db),
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
 *
 * No SES client here: only the functions that send email (notify-patient,
 * notify-practitioner, untreated-sweep) import shared/runtime/mailer-from-env.ts
 * and pass `depsWithMailerFromEnv` to their handler, so the SESv2 client is
 * bundled into those three Lambdas only. Everywhere else `deps.mailer` refuses
 * loudly: a function that starts sending email must opt in the same way.
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
    cached = buildDeps({
      db,
      eventBridge,
      busName: requireEnv(ENV.eventBusName),
      mailer: refusingMailer,
      appBaseUrl: requireEnv(ENV.appBaseUrl),
    });
  }
  return cached;
};
