/**
 * `npm run bench:fanout` — a group communication to 10,000 patients on DynamoDB
 * Local, next to the same item writes done by plain BatchWriteItem in the same
 * run. Not a test: it prints a table, and fails only if the end state is wrong
 * (every patient exactly one thread with one message, one MessageSent each).
 *
 * The fan-out is the real use cases (createCommunication, then
 * runCommunicationChunk for every chunk event, one after the other as the
 * EventBridge self-chain delivers them; inside a chunk, FANOUT_POLICY's
 * recipients at a time). An SDK middleware records every DynamoDB write; write
 * units follow DynamoDB's rules (Local's ConsumedCapacity is not the service's):
 * one unit per KB of item written, per table item and per index entry written
 * (index entries sized by their projection). AWS bills a transactional table
 * write twice: "billed WCU" shows that too.
 * The baseline writes the same items (sizes and index keys kept, under keys of
 * their own) with BatchWriteItem, 25 per call, with as many requests in flight
 * as the fan-out has transactions in flight.
 */

import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { startDynamoDbLocal } from '../local/dynamodb-local.ts';
import { observeOutbox } from '../local/outbox-observer.ts';
import { ensureTable } from '../local/table.ts';
import { createDocumentClient, type Db } from '../shared/db/client.ts';
import { inboxKeys, keys, MESSAGE_SK_PREFIX } from '../shared/db/keys.ts';
import { INDEXES } from '../shared/db/table-definition.ts';
import { FANOUT_POLICY } from '../shared/domain/communications.ts';
import { PATIENT_ATTRIBUTES, type PatientAttributes } from '../shared/domain/types.ts';
import { systemClock } from '../shared/runtime/clock.ts';
import { buildDeps } from '../shared/runtime/deps.ts';
import { allOptionalRepositories } from '../shared/runtime/optional-repositories.ts';
import { withAuditContext } from '../shared/use-cases/audit.ts';
import {
  type ChunkRequest,
  createCommunication,
  getCommunication,
  runCommunicationChunk,
} from '../shared/use-cases/communications.ts';
import type { Deps } from '../shared/use-cases/deps.ts';
import { itemSize, writeUnits as units } from './bench/item-size.ts';
import { patientRecordItem, writeBatches } from './bench/seed.ts';

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 10_000);
/** Attachments the communication carries (0–5): their refs ride on every recipient's message (ADR 0016). */
const ATTACHMENTS = Number(process.env.BENCH_ATTACHMENTS ?? 0);
const WARMUP = Math.min(RECIPIENTS, 2_000);
const PRACTITIONER = 'dr-bench';
const REGION = 'eu-west-3';
const BODY =
  'Bonjour {{patient.firstName}}, je vous informe que je réponds désormais à vos questions par la messagerie ' +
  'de votre espace patient. Pour une urgence, appelez le 15. Bien à vous, {{practitioner.name}}';

/** The index entries an item has: index name, partition value, and the entry's size by its projection. */
const indexEntries = (item: Record<string, unknown>) =>
  INDEXES.filter((index) => item[index.partitionKey] !== undefined && item[index.sortKey] !== undefined).map(
    (index) => {
      const keyNames = ['pk', 'sk', index.partitionKey, index.sortKey];
      const projected =
        index.projection.type === 'ALL'
          ? item
          : Object.fromEntries(
              Object.entries(item).filter(
                ([name]) =>
                  keyNames.includes(name) ||
                  (index.projection.type === 'INCLUDE' &&
                    (index.projection.attributes as readonly string[]).includes(name)),
              ),
            );
      return { index: index.name, partition: String(item[index.partitionKey]), bytes: itemSize(projected) };
    },
  );

// --- metering ----------------------------------------------------------------------------------

interface Write {
  kind: 'Put' | 'Update' | 'Delete';
  transactional: boolean;
  key: { pk: string; sk: string };
  item?: Record<string, unknown>;
}

/** Every write the process sends (transaction parts one by one; condition checks are not writes). */
const meterWrites = (db: Db) => {
  const writes: Write[] = [];
  /** The recipients' transactions as sent (replayed by the floor row). */
  const recipientTransactions: Array<Array<Record<string, unknown>>> = [];
  let reads = 0;
  db.client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const command = String(context.commandName).replace(/Command$/, '');
      const input = args.input as {
        TransactItems?: Array<
          Record<string, { Item?: Record<string, unknown>; Key?: Record<string, string> }>
        >;
        Item?: Record<string, unknown>;
        Key?: { pk: string; sk: string };
      };
      if (command === 'TransactWriteItems') {
        const first = input.TransactItems?.[0]?.Put?.Item;
        if (first?.entity === 'Thread') recipientTransactions.push(input.TransactItems ?? []);
        for (const entry of input.TransactItems ?? []) {
          for (const [kind, part] of Object.entries(entry)) {
            if (kind === 'ConditionCheck') continue;
            const key = (part.Item ?? part.Key ?? {}) as { pk: string; sk: string };
            writes.push({
              kind: kind as Write['kind'],
              transactional: true,
              key: { pk: key.pk, sk: key.sk },
              ...(part.Item && { item: part.Item }),
            });
          }
        }
      } else if (command === 'PutItem' && input.Item) {
        const item = input.Item;
        writes.push({
          kind: 'Put',
          transactional: false,
          key: { pk: String(item.pk), sk: String(item.sk) },
          item,
        });
      } else if ((command === 'UpdateItem' || command === 'DeleteItem') && input.Key) {
        writes.push({
          kind: command === 'UpdateItem' ? 'Update' : 'Delete',
          transactional: false,
          key: input.Key,
        });
      } else if (['GetItem', 'Query', 'BatchGetItem'].includes(command)) {
        reads++;
      }
      return result;
    },
    { step: 'initialize', name: 'fanoutBenchMeter' },
  );
  return {
    writes,
    recipientTransactions,
    reads: () => reads,
    reset: () => {
      writes.length = 0;
      recipientTransactions.length = 0;
      reads = 0;
    },
  };
};

/** Items updated in place (no Item in the call): their stored image, read once per key after the run. */
const storedImages = async (db: Db, writes: readonly Write[]) => {
  const images = new Map<string, Record<string, unknown>>();
  for (const write of writes) {
    const id = `${write.key.pk}|${write.key.sk}`;
    if (write.item || images.has(id)) continue;
    const { Item } = await db.client.send(new GetCommand({ TableName: db.tableName, Key: write.key }));
    images.set(id, Item ?? { ...write.key });
  }
  return images;
};

interface Cost {
  /** Units written (1 per KB, table items and index entries). */
  units: number;
  /** What AWS bills on demand: transactional table writes count twice. */
  billed: number;
  tableItems: number;
  indexEntries: number;
  /** Units per partition: `table PRAC#…`, `gsi4 PAT#…#THREADS`. */
  byPartition: Map<string, number>;
}

const costOf = (writes: readonly Write[], images: Map<string, Record<string, unknown>>): Cost => {
  const cost: Cost = { units: 0, billed: 0, tableItems: 0, indexEntries: 0, byPartition: new Map() };
  const add = (partition: string, n: number) =>
    cost.byPartition.set(partition, (cost.byPartition.get(partition) ?? 0) + n);
  for (const write of writes) {
    const image = write.item ?? images.get(`${write.key.pk}|${write.key.sk}`) ?? { ...write.key };
    const tableUnits = units(itemSize(image));
    cost.units += tableUnits;
    cost.billed += tableUnits * (write.transactional ? 2 : 1);
    cost.tableItems++;
    add(`table ${write.key.pk}`, tableUnits);
    // A Put or Delete writes each index entry the item has; an Update of an item in an index rewrites
    // its entry only when a projected attribute changes — counted as written (the worst case).
    for (const entry of indexEntries(image)) {
      const entryUnits = units(entry.bytes);
      cost.units += entryUnits;
      cost.billed += entryUnits;
      cost.indexEntries++;
      add(`${entry.index} ${entry.partition}`, entryUnits);
    }
  }
  return cost;
};

/**
 * The recipients' transactions again, as they were sent (same items, conditions and
 * updates), under keys of their own: what DynamoDB's transactions alone cost, with
 * nothing of the use case around them.
 */
const replayTransactions = async (
  db: Db,
  transactions: ReadonlyArray<ReadonlyArray<Record<string, unknown>>>,
  inFlight: number,
) => {
  const queue = transactions.map((items, n) =>
    items.map((entry) =>
      Object.fromEntries(
        Object.entries(entry).map(([kind, part]) => {
          const body = part as { Item?: Record<string, unknown>; Key?: Record<string, unknown> };
          const remap = (key: Record<string, unknown>) => ({ ...key, pk: `FLOOR#${n}#${String(key.pk)}` });
          return [
            kind,
            {
              ...body,
              ...(body.Item && { Item: remap(body.Item) }),
              ...(body.Key && { Key: remap(body.Key) }),
            },
          ];
        }),
      ),
    ),
  );
  const writer = async () => {
    for (let items = queue.shift(); items; items = queue.shift()) {
      await db.client.send(new TransactWriteCommand({ TransactItems: items as never }));
    }
  };
  await Promise.all(Array.from({ length: inFlight }, writer));
};

const patientIdOf = (n: number, prefix = 'pat') => `${prefix}-${String(n).padStart(6, '0')}`;

const seedBase = async (db: Db, practitionerId: string, count: number, prefix = 'pat') => {
  const now = new Date().toISOString();
  const items: Record<string, unknown>[] = [
    {
      ...keys.practitionerSettings(practitionerId),
      entity: 'PractitionerSettings',
      displayName: 'Dr Banc',
      timezone: 'Europe/Paris',
    },
  ];
  for (let n = 0; n < count; n++) {
    const patientId = patientIdOf(n, prefix);
    const attributes = Object.fromEntries(PATIENT_ATTRIBUTES.map((a, i) => [a, n % (i + 2) === 0]));
    items.push(
      patientRecordItem(
        practitionerId,
        patientId,
        {
          firstName: `Prénom${n}`,
          lastName: `Nom${n}`,
          email: `${patientId}@example.org`,
          attributes: attributes as PatientAttributes,
        },
        now,
      ),
    );
  }
  await writeBatches(db, items, 8);
};

/** Clean attachments of the practitioner, as the checks leave them (realistic names), ready to send. */
const seedAttachments = async (db: Db, practitionerId: string, ids: readonly string[]) => {
  const now = new Date().toISOString();
  await writeBatches(
    db,
    ids.map((id, n) => ({
      ...keys.attachment(id),
      entity: 'Attachment',
      schemaVersion: 1,
      id,
      ownerRole: 'practitioner',
      ownerId: practitionerId,
      fileName: `fiche-information-campagne-${n + 1}.pdf`,
      contentType: 'application/pdf',
      size: 48_213,
      status: 'clean',
      createdAt: now,
      typeChecked: true,
      malwareScanned: true,
      rejectedReason: null,
      threadId: null,
      messageId: null,
      communicationId: null,
    })),
  );
};

/** Every patient has exactly one thread (gsi4) holding exactly one message: checked for all of them. */
const checkOneMessageEach = async (db: Db) => {
  let wrong = 0;
  const check = async (n: number) => {
    const threads = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        IndexName: 'gsi4',
        KeyConditionExpression: 'gsi4pk = :pk',
        ExpressionAttributeValues: { ':pk': inboxKeys.patientAll(patientIdOf(n)) },
      }),
    );
    const [thread, ...more] = threads.Items ?? [];
    if (!thread || more.length > 0) return void wrong++;
    const messages = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
        ExpressionAttributeValues: { ':pk': thread.pk, ':msg': MESSAGE_SK_PREFIX },
        Select: 'COUNT',
      }),
    );
    if (messages.Count !== 1) wrong++;
  };
  for (let n = 0; n < RECIPIENTS; n += 50) {
    await Promise.all(Array.from({ length: Math.min(50, RECIPIENTS - n) }, (_, i) => check(n + i)));
  }
  return wrong;
};

/**
 * CPU time DynamoDB Local's JVM has used so far, in ms (Linux /proc; null elsewhere). The bench
 * shares its cores with whatever else runs: the database's own CPU time per phase tells its work
 * apart from the time it waited for a core.
 */
const jvmCpuMs = (pid: number | undefined): number | null => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : null;
  } catch {
    return null;
  }
};

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const perRecipient = (n: number) => (n / RECIPIENTS).toFixed(2);

const main = async () => {
  // DynamoDB Local wants credentials, never real ones.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const dynamo = await startDynamoDbLocal({ readyTimeoutMs: 60_000 });
  try {
    const tableName = 'bench-fanout';
    await ensureTable(
      new DynamoDBClient({
        endpoint: dynamo.endpoint,
        region: REGION,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      tableName,
      // Nothing reads the stream here: none, as in the integration tests.
      { stream: false },
    );
    const db: Db = { client: createDocumentClient({ endpoint: dynamo.endpoint, region: REGION }), tableName };
    const queue: ChunkRequest[] = [];
    const messageIds = new Set<unknown>();
    let messageSent = 0;
    // The fan-out hands chunks on through the outbox: the bench plays the stream and the bus.
    observeOutbox(db.client, ({ definition, envelope }) => {
      const d = envelope.data as Record<string, unknown>;
      if (definition.detailType === 'MessageSent') {
        messageSent++;
        messageIds.add(d.messageId);
      }
      if (
        definition.detailType === 'CommunicationRequested' ||
        definition.detailType === 'CommunicationChunkRequested'
      ) {
        queue.push({
          practitionerId: d.practitionerId as string,
          communicationId: d.communicationId as string,
          seq: (d.seq as number | undefined) ?? 0,
        });
      }
    });
    const deps: Deps = buildDeps({
      db,
      optional: allOptionalRepositories(db),
      clock: systemClock,
      mailer: { send: async () => ({ messageId: 'bench' }) },
      appBaseUrl: 'https://app.bench',
    });
    // As in Lambda: the consumer's deliveries are audited (shared/events-consumer.ts).
    const workerDeps = withAuditContext(deps, {
      actor: { role: 'system', id: 'communication-fanout' },
      requestId: 'bench',
    });

    const metered = meterWrites(db);
    process.stdout.write(`Seeding ${RECIPIENTS.toLocaleString('en')} patient records…\n`);
    await seedBase(db, PRACTITIONER, RECIPIENTS);
    const attachmentIds = Array.from({ length: ATTACHMENTS }, () => deps.ids.next());
    await seedAttachments(db, PRACTITIONER, attachmentIds);

    // DynamoDB Local is a JVM: its first thousands of requests run before the JIT compiled it. A
    // communication of its own (another practitioner, other patients) warms it, so neither side of
    // the comparison pays for that.
    process.stdout.write(`Warming DynamoDB Local up (${WARMUP.toLocaleString('en')} recipients)…\n`);
    await seedBase(db, 'dr-warmup', WARMUP, 'warm');
    await createCommunication(
      deps,
      { role: 'practitioner', practitionerId: 'dr-warmup' },
      { body: BODY, audience: { all: true } },
    );
    for (let request = queue.shift(); request; request = queue.shift())
      await runCommunicationChunk(workerDeps, request);
    metered.reset();
    messageIds.clear();
    messageSent = 0;

    // --- the fan-out -----------------------------------------------------------------------------
    const actor = { role: 'practitioner', practitionerId: PRACTITIONER } as const;
    const cpu = () => jvmCpuMs(dynamo.pid);
    const cpuStarted = cpu();
    const started = performance.now();
    const communication = await createCommunication(deps, actor, {
      body: BODY,
      replyPolicy: 'single',
      audience: { all: true },
      ...(ATTACHMENTS > 0 && { attachmentIds }),
    });
    let chunks = 0;
    for (let request = queue.shift(); request; request = queue.shift()) {
      chunks++;
      await runCommunicationChunk(workerDeps, request);
      if (chunks % 25 === 0) process.stdout.write(`  ${chunks} chunks…\n`);
    }
    const fanoutMs = performance.now() - started;
    const fanoutCpu = cpu();
    const writes = [...metered.writes];
    const transactions = [...metered.recipientTransactions];
    const reads = metered.reads();

    const done = await getCommunication(deps, actor, communication.id);
    if (done.status !== 'done' || done.sent !== RECIPIENTS || done.total !== RECIPIENTS) {
      throw new Error(`Unexpected end state ${JSON.stringify(done)}`);
    }
    process.stdout.write('Checking every patient: one thread, one message…\n');
    const wrong = await checkOneMessageEach(db);
    const counters = await deps.counters.practitioner(PRACTITIONER);
    if (
      wrong > 0 ||
      messageSent !== RECIPIENTS ||
      messageIds.size !== RECIPIENTS ||
      counters.openThreads !== 0
    ) {
      throw new Error(
        `${wrong} patients without exactly one message; MessageSent ${messageSent} (${messageIds.size} ids); openThreads ${counters.openThreads}`,
      );
    }

    // --- write units -----------------------------------------------------------------------------
    const images = await storedImages(db, writes);
    const cost = costOf(writes, images);

    const hottest = [...cost.byPartition.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);

    // --- the baseline ----------------------------------------------------------------------------
    // The same items, sizes and index keys under keys of their own (updated items as their stored image).
    const baselineItems = writes
      .filter((w) => w.kind !== 'Delete')
      .map((w, copy) => ({
        ...(w.item ?? images.get(`${w.key.pk}|${w.key.sk}`) ?? w.key),
        pk: `BASELINE#${copy}`,
      }));
    process.stdout.write(
      `Baseline: ${baselineItems.length.toLocaleString('en')} items with BatchWriteItem…\n`,
    );
    const inFlight = FANOUT_POLICY.transactionsInFlight;
    const baselineCpuStarted = cpu();
    const baselineStarted = performance.now();
    const batchCalls = await writeBatches(db, baselineItems, inFlight);
    const baselineMs = performance.now() - baselineStarted;
    const baselineCpu = cpu();
    process.stdout.write(`Floor: the ${transactions.length} recipient transactions replayed…\n`);
    const floorStarted = performance.now();
    await replayTransactions(db, transactions, inFlight);
    const floorMs = performance.now() - floorStarted;
    const floorCpu = cpu();
    const cpuRatio = (a0: number | null, a1: number | null, b0: number | null, b1: number | null) =>
      a0 === null || a1 === null || b0 === null || b1 === null
        ? ''
        : `${((a1 - a0) / (b1 - b0)).toFixed(2)}×`;
    const cpuSpent = (from: number | null, to: number | null) =>
      from === null || to === null ? '' : `${seconds(to - from)} s`;

    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    const header = [
      '',
      'wall time',
      'DynamoDB Local CPU',
      'recipients/s',
      'write calls',
      'items / recipient',
      'index entries / recipient',
      'write units / recipient',
      'billed WCU / recipient',
    ];
    process.stdout.write(
      [
        '',
        `Group communication fan-out — ${RECIPIENTS.toLocaleString('en')} recipients, DynamoDB Local, chunks of ${FANOUT_POLICY.chunkSize}, ${FANOUT_POLICY.recipientsPerTransaction} recipients per transaction, ${inFlight} transactions in flight, ${ATTACHMENTS} attachment(s) on each message`,
        '',
        line(header),
        line(header.map(() => '---')),
        line([
          'fan-out (each recipient atomic and exactly-once)',
          `${seconds(fanoutMs)} s`,
          cpuSpent(cpuStarted, fanoutCpu),
          (RECIPIENTS / (fanoutMs / 1000)).toFixed(0),
          `${transactions.length} TransactWriteItems of ≤ ${FANOUT_POLICY.recipientsPerTransaction} recipients + ${chunks} chunk advances`,
          perRecipient(cost.tableItems),
          perRecipient(cost.indexEntries),
          perRecipient(cost.units),
          perRecipient(cost.billed),
        ]),
        line([
          'baseline (BatchWriteItem, same items)',
          `${seconds(baselineMs)} s`,
          cpuSpent(baselineCpuStarted, baselineCpu),
          (RECIPIENTS / (baselineMs / 1000)).toFixed(0),
          `${batchCalls.toLocaleString('en')} BatchWriteItem (${inFlight} in flight)`,
          perRecipient(baselineItems.length),
          perRecipient(cost.indexEntries),
          perRecipient(cost.units),
          perRecipient(cost.units),
        ]),
        line([
          'floor (the same transactions replayed, no use case)',
          `${seconds(floorMs)} s`,
          cpuSpent(baselineCpu, floorCpu),
          (RECIPIENTS / (floorMs / 1000)).toFixed(0),
          `${transactions.length} TransactWriteItems (${inFlight} in flight)`,
          '',
          '',
          '',
          '',
        ]),
        ...(
          [
            [
              'ratio fan-out / baseline',
              fanoutMs / baselineMs,
              cpuRatio(cpuStarted, fanoutCpu, baselineCpuStarted, baselineCpu),
            ],
            [
              'ratio fan-out / floor (the use case’s own cost)',
              fanoutMs / floorMs,
              cpuRatio(cpuStarted, fanoutCpu, baselineCpu, floorCpu),
            ],
            [
              'ratio floor / baseline (DynamoDB Local’s transactions)',
              floorMs / baselineMs,
              cpuRatio(baselineCpu, floorCpu, baselineCpuStarted, baselineCpu),
            ],
          ] as const
        ).map(([name, wall, jvm]) => line([name, `${wall.toFixed(2)}×`, jvm, '', '', '', '', '', ''])),
        '',
        `Hottest partitions during the send (write units, and per second of this run's ${seconds(fanoutMs)} s):`,
        ...hottest.map(
          ([partition, n]) =>
            `  ${partition.padEnd(60)} ${String(n).padStart(7)} WU  ${(n / (fanoutMs / 1000)).toFixed(0).padStart(5)} WU/s`,
        ),
        '',
        `Reads: ${reads.toLocaleString('en')} calls (the audience read once, ${FANOUT_POLICY.chunkSize} records per chunk).`,
        `Checked: ${done.sent}/${RECIPIENTS} sent, every patient exactly one thread with one message, ${messageSent} MessageSent (${messageIds.size} distinct), practitioner openThreads ${counters.openThreads}.`,
        'Write units: 1 per KB per table item and per index entry written (entries sized by their projection);',
        'billed WCU: AWS on demand, transactional table writes ×2. DynamoDB Local timings are indicative only.',
        '',
      ].join('\n'),
    );
  } finally {
    await dynamo.stop();
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
