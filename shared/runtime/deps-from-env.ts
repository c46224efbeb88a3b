import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ENV, optionalEnv, requireEnv } from '../config.ts';
import { createDocumentClient, type Db } from '../db/client.ts';
import { createCountersRepository } from '../repositories/counters-repository.ts';
import { createPatientRepository } from '../repositories/patient-repository.ts';
import { createSettingsRepository } from '../repositories/settings-repository.ts';
import { createThreadRepository } from '../repositories/thread-repository.ts';
import type { Deps } from '../use-cases/deps.ts';
import { systemClock } from './clock.ts';
import { ulidGenerator } from './ids.ts';
import { logger, tracer } from './logger.ts';
import { eventBridgePublisher } from './publisher.ts';

export const buildDeps = (options: { db: Db; eventBridge: EventBridgeClient; busName: string }): Deps => {
  const clock = systemClock;
  const ids = ulidGenerator(clock);
  return {
    clock,
    ids,
    threads: createThreadRepository(options.db),
    settings: createSettingsRepository(options.db),
    patients: createPatientRepository(options.db),
    counters: createCountersRepository(options.db),
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
    cached = buildDeps({ db, eventBridge, busName: requireEnv(ENV.eventBusName) });
  }
  return cached;
};
