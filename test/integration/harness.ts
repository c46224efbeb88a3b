/**
 * Use cases wired to a fresh table on the shared DynamoDB Local of the test run,
 * with a settable clock and a publisher that records (and schema-checks) events.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { ensureTable } from '../../local/table.ts';
import { createDocumentClient, type Db } from '../../shared/db/client.ts';
import type { Message } from '../../shared/domain/types.ts';
import { createAppointmentRepository } from '../../shared/repositories/appointment-repository.ts';
import { createAuditRepository } from '../../shared/repositories/audit-repository.ts';
import { createAutomationRepository } from '../../shared/repositories/automation-repository.ts';
import { createCommunicationRepository } from '../../shared/repositories/communication-repository.ts';
import { createCountersRepository } from '../../shared/repositories/counters-repository.ts';
import { createDueWorkRepository } from '../../shared/repositories/due-work-repository.ts';
import { createNotificationRepository } from '../../shared/repositories/notification-repository.ts';
import { createPatientRepository } from '../../shared/repositories/patient-repository.ts';
import { createScheduledMessageRepository } from '../../shared/repositories/scheduled-message-repository.ts';
import { createSettingsRepository } from '../../shared/repositories/settings-repository.ts';
import { createTemplateRepository } from '../../shared/repositories/template-repository.ts';
import {
  createThreadRepository,
  type ThreadRepository,
} from '../../shared/repositories/thread-repository.ts';
import { fixedClock } from '../../shared/runtime/clock.ts';
import { ulidGenerator } from '../../shared/runtime/ids.ts';
import { type Mailer, refusingMailer } from '../../shared/runtime/mailer.ts';
import type { EventPublisher, PublishedEvent } from '../../shared/runtime/publisher.ts';
import type { Deps, PatientActor, PractitionerActor } from '../../shared/use-cases/deps.ts';
import { getPractitionerThread, treatThread } from '../../shared/use-cases/practitioner-messaging.ts';

const REGION = 'eu-west-3';

export const dynamoDbEndpoint = (): string => inject('dynamoDbEndpoint');

export const newTable = async (): Promise<Db> => {
  const endpoint = dynamoDbEndpoint();
  const tableName = `it-${randomUUID()}`;
  await ensureTable(new DynamoDBClient({ endpoint, region: REGION }), tableName);
  return { client: createDocumentClient({ endpoint, region: REGION }), tableName };
};

export interface RecordedEvent {
  detailType: string;
  data: Record<string, unknown>;
}

export const recordingPublisher = () => {
  const published: RecordedEvent[] = [];
  const publisher: EventPublisher = {
    async publish(events: PublishedEvent[]) {
      for (const { definition, data } of events) {
        published.push({
          detailType: definition.detailType,
          data: definition.schema.parse(data) as Record<string, unknown>,
        });
      }
    },
  };
  return { publisher, published };
};

/** Links in test emails point here. */
export const TEST_APP_BASE_URL = 'https://app.test.invalid';

/**
 * `options.mailer`: notification tests pass an SES mailer on a real aws-ses-v2-local;
 * by default any send fails loudly (no other use case may email).
 */
export const createTestContext = async (
  start = '2026-05-14T08:00:00.000Z',
  options: { mailer?: Mailer } = {},
) => {
  const db = await newTable();
  const clock = fixedClock(start);
  const { publisher, published } = recordingPublisher();
  const deps: Deps = {
    clock,
    ids: ulidGenerator(clock),
    threads: createThreadRepository(db),
    settings: createSettingsRepository(db),
    patients: createPatientRepository(db),
    counters: createCountersRepository(db),
    notifications: createNotificationRepository(db),
    mailer: options.mailer ?? refusingMailer,
    appBaseUrl: TEST_APP_BASE_URL,
    templates: createTemplateRepository(db),
    appointments: createAppointmentRepository(db),
    automations: createAutomationRepository(db),
    dueWork: createDueWorkRepository(db),
    communications: createCommunicationRepository(db),
    scheduledMessages: createScheduledMessageRepository(db),
    audit: createAuditRepository(db),
    events: publisher,
  };
  const practitioner = (practitionerId: string): PractitionerActor => ({
    role: 'practitioner',
    practitionerId,
  });
  const patient = (patientId: string): PatientActor => ({ role: 'patient', patientId });
  /** Puts a patient in a practitioner's base. */
  const enrol = (practitionerId: string, patientId: string, email: string | null = null) =>
    deps.patients.upsert(
      practitionerId,
      patientId,
      {
        firstName: 'Camille',
        lastName: patientId,
        email,
        attributes: {
          primaryCare: false,
          ald: false,
          chronic: false,
          pregnancyFollowUp: false,
          needsSupport: false,
        },
      },
      clock.now().toISOString(),
    );
  return { db, deps, clock, published, practitioner, patient, enrol };
};

export type TestContext = Awaited<ReturnType<typeof createTestContext>>;

/**
 * A treat as a client makes it under the safe-treat rule: open the thread (its
 * first page) and treat with the newest message shown as `lastSeenMessageId`.
 */
export const viewThenTreat = async (deps: Deps, actor: PractitionerActor, threadId: string) => {
  const { messages } = await getPractitionerThread(deps, actor, threadId);
  return treatThread(deps, actor, threadId, { lastSeenMessageId: messages.at(-1)?.id as string });
};

/** Every message of a thread, oldest first, read page by page (100 a page) as the thread views do; [] when there is no thread. */
export const allThreadMessages = async (threads: ThreadRepository, threadId: string): Promise<Message[]> => {
  const messages: Message[] = [];
  let cursor: string | undefined;
  do {
    const page = await threads.getThreadPage(threadId, { limit: 100, ...(cursor && { cursor }) });
    if (!page) return messages;
    messages.unshift(...page.messages);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return messages;
};

/**
 * The truth the practitioner counters summarise, read back from the thread items
 * listed in the practitioner's inbox index (archived threads excluded, as in the counters).
 */
export const practitionerThreadTotals = async (db: Db, practitionerId: string) => {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `PRAC#${practitionerId}#THREADS` },
        ExclusiveStartKey,
      }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return {
    untreatedMessages: items.reduce((sum, t) => sum + (t.untreatedCount as number), 0),
    unreadThreads: items.filter((t) => (t.unreadForPractitioner as number) > 0).length,
    openThreads: items.filter((t) => t.status === 'open').length,
  };
};
