/**
 * Use cases wired to a fresh table on the shared DynamoDB Local of the test run,
 * with a settable clock; `ctx.published` lists the events committed to the outbox (schema-checked).
 *
 * `ctx.as(name)` is the Deps of one declared function (functions/catalog.ts),
 * built by the composition root (shared/runtime/deps.ts buildDeps) on a DynamoDB
 * client under the same IAM enforcement as the local stack: a use case called
 * through it is refused what that function's role would be refused in AWS.
 * `ctx.deps` is unrestricted: for seeding fixtures, not for the code under test.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { iamEnforcement } from '../../local/iam-enforcement.ts';
import { observeOutbox } from '../../local/outbox-observer.ts';
import { ensureTable } from '../../local/table.ts';
import {
  createDocumentClient,
  createDynamoDbClient,
  type Db,
  documentClientOver,
} from '../../shared/db/client.ts';
import { queryAll } from '../../shared/db/query-all.ts';
import { IDEMPOTENCY_TABLE } from '../../shared/db/table-definition.ts';
import type { Quotas } from '../../shared/domain/quotas.ts';
import { type Message, PATIENT_ATTRIBUTES, type PatientAttributes } from '../../shared/domain/types.ts';
import { serviceResources } from '../../shared/function-model/permissions.ts';
import type { ThreadRepository } from '../../shared/repositories/thread-repository.ts';
import { fixedClock } from '../../shared/runtime/clock.ts';
import { buildDeps } from '../../shared/runtime/deps.ts';
import { ulidGenerator } from '../../shared/runtime/ids.ts';
import { type Mailer, refusingMailer } from '../../shared/runtime/mailer.ts';
import { allOptionalRepositories } from '../../shared/runtime/optional-repositories.ts';
import type { Deps, PatientActor, PractitionerActor } from '../../shared/use-cases/deps.ts';
import { forgetKnownIdentities, recordPatientIdentity } from '../../shared/use-cases/patient-contact.ts';
import { getPractitionerThread, treatThread } from '../../shared/use-cases/practitioner-messaging.ts';

const REGION = 'eu-west-3';

export const dynamoDbEndpoint = (): string => inject('dynamoDbEndpoint');

export const newTable = async (): Promise<Db> => {
  const endpoint = dynamoDbEndpoint();
  const tableName = `it-${randomUUID()}`;
  // No stream: nothing reads it here (ctx.published observes the outbox on the clients).
  await ensureTable(new DynamoDBClient({ endpoint, region: REGION }), tableName, { stream: false });
  return { client: createDocumentClient({ endpoint, region: REGION }), tableName };
};

export interface RecordedEvent {
  detailType: string;
  data: Record<string, unknown>;
}

/**
 * The events the use cases caused, as committed: every outbox item a successful
 * write carried (shared/repositories/outbox-repository.ts), schema-checked. A
 * refused or rolled-back change records nothing, exactly like its outbox items.
 */
export const recordingOutbox = () => {
  const published: RecordedEvent[] = [];
  const observe = (client: DynamoDBDocumentClient) =>
    observeOutbox(client, ({ definition, envelope }) =>
      published.push({ detailType: definition.detailType, data: envelope.data as Record<string, unknown> }),
    );
  return { published, observe };
};

/** A patient record's attributes, all false. */
export const NO_ATTRIBUTES = Object.fromEntries(
  PATIENT_ATTRIBUTES.map((attribute) => [attribute, false]),
) as PatientAttributes;

/** Links in test emails point here. */
export const TEST_APP_BASE_URL = 'https://app.test.invalid';

/**
 * `options.mailer`: notification tests pass an SES mailer on a real aws-ses-v2-local;
 * by default any send fails loudly (no other use case may email).
 */
export const createTestContext = async (
  start = '2026-05-14T08:00:00.000Z',
  options: { mailer?: Mailer; quotas?: Quotas } = {},
) => {
  const db = await newTable();
  const clock = fixedClock(start);
  const { published, observe } = recordingOutbox();
  observe(db.client);
  const ids = ulidGenerator(clock);
  const parts = {
    clock,
    ids,
    mailer: options.mailer ?? refusingMailer,
    appBaseUrl: TEST_APP_BASE_URL,
    ...(options.quotas && { quotas: options.quotas }),
  };
  const deps: Deps = buildDeps({ db, optional: allOptionalRepositories(db), ...parts });
  const enforcement = iamEnforcement({
    account: { region: REGION, accountId: '000000000000' },
    resources: serviceResources({
      partition: 'aws',
      region: REGION,
      accountId: '000000000000',
      tableName: db.tableName,
      idempotencyTableName: IDEMPOTENCY_TABLE.nameFor(db.tableName),
      busName: 'patient-messaging',
      senderAddress: 'no-reply@patient-messaging.local',
      configurationSetName: `${db.tableName}-emails`,
    }),
    declarations: FUNCTIONS,
    // Loudly, as the local stack does: a refusal the code under test swallows (an audit entry
    // written after commit, a due-work run retried) would otherwise pass unnoticed.
    onDenied: (name, why) => console.error(`IAM: ${name} is not allowed ${why}`),
  });
  const asFunction = new Map<string, { db: Db; deps: Deps }>();
  const functionParts = (name: FunctionName) => {
    const known = asFunction.get(name);
    if (known) return known;
    const declaration = FUNCTIONS.find((f) => f.name === name);
    if (!declaration) throw new Error(`No declared function ${name}`);
    const raw = createDynamoDbClient({ endpoint: dynamoDbEndpoint(), region: REGION });
    enforcement.decorate('dynamodb', raw, declaration);
    const functionDb: Db = { client: documentClientOver(raw), tableName: db.tableName };
    observe(functionDb.client);
    const built = {
      db: functionDb,
      deps: buildDeps({ db: functionDb, optional: allOptionalRepositories(functionDb), ...parts }),
    };
    asFunction.set(name, built);
    return built;
  };
  /** The Deps of the declared function `name`, its DynamoDB client under that function's IAM grants. */
  const as = (name: FunctionName): Deps => functionParts(name).deps;
  /** The table as `as(name)` reaches it (the same client): for tests that watch what the function sends. */
  const dbAs = (name: FunctionName): Db => functionParts(name).db;
  /**
   * The DynamoDB commands function `name` sends while `run` runs, in the order they
   * were sent ("GetItem", "TransactWriteItems"…): what a use case costs in round-trips.
   */
  const commandsOf = async (name: FunctionName, run: () => Promise<unknown>): Promise<string[]> => {
    const commands: string[] = [];
    const middleware = `count-commands-${Math.random()}`;
    const { client } = dbAs(name);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push((context.commandName ?? '?').replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize', name: middleware },
    );
    try {
      await run();
    } finally {
      client.middlewareStack.remove(middleware);
    }
    return commands;
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
        attributes: NO_ATTRIBUTES,
      },
      clock.now().toISOString(),
    );
  /**
   * The patient signs in with a verified `email` claim and uses the service: the
   * address their notifications go to (ADR 0010), recorded as patient-write does.
   * This process's per-container memory is forgotten first (another table may know the id).
   */
  const verifiedAddress = (patientId: string, email: string) => {
    forgetKnownIdentities();
    return recordPatientIdentity(as('patient-write'), patientId, { email, emailVerified: true });
  };
  return { db, deps, as, dbAs, commandsOf, clock, published, practitioner, patient, enrol, verifiedAddress };
};

export type TestContext = Awaited<ReturnType<typeof createTestContext>>;

/** The name of a declared function (functions/<name>/function.ts). */
export type FunctionName = (typeof FUNCTIONS)[number]['name'];

/**
 * A treat as a client makes it under the safe-treat rule: open the thread (its
 * first page, GET through practitioner-get-thread) and treat with the newest
 * message shown as `lastSeenMessageId` (practitioner-treat-thread).
 */
export const viewThenTreat = async (ctx: TestContext, actor: PractitionerActor, threadId: string) => {
  const { messages } = await getPractitionerThread(ctx.as('practitioner-get-thread'), actor, threadId);
  return treatThread(ctx.as('practitioner-treat-thread'), actor, threadId, {
    lastSeenMessageId: messages.at(-1)?.id as string,
  });
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
  const items = await queryAll(
    db,
    {
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': `PRAC#${practitionerId}#THREADS` },
    },
    (item) => item,
  );
  return {
    untreatedMessages: items.reduce((sum, t) => sum + (t.untreatedCount as number), 0),
    unreadThreads: items.filter((t) => (t.unreadForPractitioner as number) > 0).length,
    openThreads: items.filter((t) => t.status === 'open').length,
  };
};
