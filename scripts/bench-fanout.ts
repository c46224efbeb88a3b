/**
 * `npm run bench:fanout` — a group communication to 10,000 patients on DynamoDB
 * Local, next to the same number of item writes done by plain BatchWriteItem in
 * the same run. Not a test: it prints a table.
 *
 * The fan-out is the real use cases (createCommunication, then
 * runCommunicationChunk for every chunk event, one after the other as the
 * EventBridge self-chain delivers them); MessageSent events are only counted
 * (no SES). An SDK middleware records every DynamoDB call; write units are
 * computed from the transaction shape with DynamoDB's pricing rules (DynamoDB
 * Local's ConsumedCapacity is not the service's): a transactional write costs 2
 * WCU per item and KB, a standard write 1; each GSI entry written costs 1 per KB.
 * The baseline writes, with BatchWriteItem (25 per call, one writer, like the
 * fan-out), as many items as the fan-out wrote or updated, with the same sizes
 * and index keys.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startDynamoDbLocal } from '../local/dynamodb-local.ts';
import { observeOutbox } from '../local/outbox-observer.ts';
import { ensureTable } from '../local/table.ts';
import { createDocumentClient, type Db } from '../shared/db/client.ts';
import { keys } from '../shared/db/keys.ts';
import { INDEXES } from '../shared/db/table-definition.ts';
import { PATIENT_ATTRIBUTES } from '../shared/domain/types.ts';
import { systemClock } from '../shared/runtime/clock.ts';
import { buildDeps } from '../shared/runtime/deps.ts';
import { withAuditContext } from '../shared/use-cases/audit.ts';
import {
  type ChunkRequest,
  createCommunication,
  getCommunication,
  runCommunicationChunk,
} from '../shared/use-cases/communications.ts';
import type { Deps } from '../shared/use-cases/deps.ts';
import { itemSize, writeUnits as units } from './bench/item-size.ts';

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 10_000);
const PRACTITIONER = 'dr-bench';
const REGION = 'eu-west-3';
const KB = 1024;
const BODY =
  'Bonjour {{patient.firstName}}, je vous informe que je réponds désormais à vos questions par la messagerie ' +
  'de votre espace patient. Pour une urgence, appelez le 15. Bien à vous, {{practitioner.name}}';

const indexEntries = (item: Record<string, unknown>) =>
  INDEXES.filter((index) => item[index.partitionKey] !== undefined && item[index.sortKey] !== undefined)
    .length;

// --- metering ----------------------------------------------------------------------------------

interface TransactPart {
  kind: 'Put' | 'Update' | 'ConditionCheck' | 'Delete';
  key: { pk: string; sk: string };
  item?: Record<string, unknown>;
}

interface Call {
  command: string;
  items: number;
  scanned: number;
  parts: TransactPart[];
}

const meter = (db: Db) => {
  const calls: Call[] = [];
  db.client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as {
        TransactItems?: Array<
          Record<string, { Item?: Record<string, unknown>; Key?: Record<string, string> }>
        >;
      };
      const parts: TransactPart[] = (input.TransactItems ?? []).flatMap((entry) =>
        Object.entries(entry).map(([kind, body]) => {
          const key = (body.Item ?? body.Key ?? {}) as { pk: string; sk: string };
          return {
            kind: kind as TransactPart['kind'],
            key: { pk: key.pk, sk: key.sk },
            ...(body.Item && { item: body.Item }),
          };
        }),
      );
      const result = await next(args);
      const output = result.output as {
        Items?: unknown[];
        Item?: unknown;
        ScannedCount?: number;
        Count?: number;
      };
      const items = Array.isArray(output.Items) ? output.Items.length : output.Item ? 1 : (output.Count ?? 0);
      calls.push({
        command: String(context.commandName).replace(/Command$/, ''),
        items,
        scanned: output.ScannedCount ?? items,
        parts,
      });
      return result;
    },
    { step: 'initialize', name: 'fanoutBenchMeter' },
  );
  return {
    calls,
    reset: () => {
      calls.length = 0;
    },
  };
};

const writeBatches = async (db: Db, items: Record<string, unknown>[]) => {
  let calls = 0;
  for (let i = 0; i < items.length; i += 25) {
    let request = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; request.length > 0; attempt++) {
      if (attempt > 20) throw new Error('BatchWriteItem kept items unprocessed');
      calls++;
      const result = await db.client.send(
        new BatchWriteCommand({ RequestItems: { [db.tableName]: request } }),
      );
      request = (result.UnprocessedItems?.[db.tableName] ?? []) as typeof request;
    }
  }
  return calls;
};

const seedBase = async (db: Db) => {
  const now = new Date().toISOString();
  const items: Record<string, unknown>[] = [
    {
      ...keys.practitionerSettings(PRACTITIONER),
      entity: 'PractitionerSettings',
      displayName: 'Dr Banc',
      timezone: 'Europe/Paris',
    },
  ];
  for (let n = 0; n < RECIPIENTS; n++) {
    const patientId = `pat-${String(n).padStart(6, '0')}`;
    items.push({
      ...keys.patientRecord(PRACTITIONER, patientId),
      entity: 'PatientRecord',
      practitionerId: PRACTITIONER,
      patientId,
      firstName: `Prénom${n}`,
      lastName: `Nom${n}`,
      email: `${patientId}@example.org`,
      attributes: Object.fromEntries(PATIENT_ATTRIBUTES.map((a, i) => [a, n % (i + 2) === 0])),
      blocked: false,
      allowed: false,
      createdAt: now,
      updatedAt: now,
      controlsVersion: 1,
    });
  }
  await writeBatches(db, items);
};

const seconds = (ms: number) => (ms / 1000).toFixed(1);

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
    let messageSent = 0;
    // The fan-out hands chunks on through the outbox: the bench plays the stream and the bus.
    observeOutbox(db.client, ({ definition, envelope }) => {
      {
        const d = envelope.data as Record<string, unknown>;
        if (definition.detailType === 'MessageSent') messageSent++;
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
      }
    });
    const deps: Deps = buildDeps({
      db,
      clock: systemClock,
      mailer: { send: async () => ({ messageId: 'bench' }) },
      appBaseUrl: 'https://app.bench',
    });
    // As in Lambda: the consumer's deliveries are audited in the thread transactions (shared/events-consumer.ts).
    const workerDeps = withAuditContext(deps, {
      actor: { role: 'system', id: 'communication-fanout' },
      requestId: 'bench',
    });

    process.stdout.write(`Seeding ${RECIPIENTS.toLocaleString('en')} patient records…\n`);
    await seedBase(db);

    // --- the fan-out -----------------------------------------------------------------------------
    const m = meter(db);
    const actor = { role: 'practitioner', practitionerId: PRACTITIONER } as const;
    const started = performance.now();
    const communication = await createCommunication(deps, actor, { body: BODY, audience: { all: true } });
    let chunks = 0;
    for (let request = queue.shift(); request; request = queue.shift()) {
      chunks++;
      await runCommunicationChunk(workerDeps, request);
      if (chunks % 40 === 0) process.stdout.write(`  ${chunks} chunks…\n`);
    }
    const fanoutMs = performance.now() - started;
    const fanoutCalls = [...m.calls];
    m.reset();

    const done = await getCommunication(deps, actor, communication.id);
    if (done.status !== 'done' || done.sent !== RECIPIENTS || done.total !== RECIPIENTS) {
      throw new Error(`Unexpected end state ${JSON.stringify(done)}`);
    }
    let markers = 0;
    let markerPage: Record<string, unknown> | undefined;
    do {
      const page = await db.client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `COMM#${communication.id}` },
          Select: 'COUNT',
          ExclusiveStartKey: markerPage,
        }),
      );
      markers += page.Count ?? 0;
      markerPage = page.LastEvaluatedKey;
    } while (markerPage);
    const counters = await deps.counters.practitioner(PRACTITIONER);
    if (counters.openThreads !== RECIPIENTS || messageSent !== RECIPIENTS || markers !== RECIPIENTS) {
      throw new Error(`openThreads ${counters.openThreads}, MessageSent ${messageSent}, markers ${markers}`);
    }

    // --- write units from the transaction shapes ---------------------------------------------------
    // Updated and checked items: their size now (the same order as before the update).
    const sampleKeys = {
      practitionerCounters: keys.practitionerCounters(PRACTITIONER),
      patientCounters: keys.patientCounters('pat-000001'),
      communication: keys.communication(PRACTITIONER, communication.id),
      patientRecord: keys.patientRecord(PRACTITIONER, 'pat-000001'),
    };
    const sizes: Record<string, number> = {};
    for (const [name, key] of Object.entries(sampleKeys)) {
      const { Item } = await db.client.send(new GetCommand({ TableName: tableName, Key: key }));
      sizes[name] = Item ? itemSize(Item) : 0;
    }
    const sizeOfTarget = (key: { pk: string; sk: string }) => {
      if (key.sk === 'COUNTERS')
        return key.pk.startsWith('PAT#') ? sizes.patientCounters : sizes.practitionerCounters;
      if (key.sk.startsWith('COMM#')) return sizes.communication;
      if (key.sk.startsWith('PATIENT#')) return sizes.patientRecord;
      return KB;
    };
    const transactions = fanoutCalls.filter((c) => c.command === 'TransactWriteItems' && c.parts.length > 0);
    const recipientTransactions = transactions.filter((c) =>
      c.parts.some((p) => p.key.pk.startsWith('COMM#')),
    );
    let transactWcu = 0;
    let gsiWcu = 0;
    const baselineItems: Record<string, unknown>[] = [];
    let copy = 0;
    for (const call of recipientTransactions) {
      for (const part of call.parts) {
        const bytes = part.item ? itemSize(part.item) : (sizeOfTarget(part.key) ?? KB);
        transactWcu += 2 * units(bytes);
        if (part.item) gsiWcu += indexEntries(part.item) * units(bytes);
        if (part.kind === 'ConditionCheck') continue;
        // The baseline writes an item of the same size and index keys under its own key.
        const template = part.item ?? { ...part.key, padding: 'x'.repeat(Math.max(0, bytes - 60)) };
        baselineItems.push({ ...template, pk: `BASELINE#${copy++}` });
      }
    }
    const otherWrites = fanoutCalls.filter(
      (c) =>
        ['UpdateItem', 'PutItem', 'DeleteItem'].includes(c.command) ||
        (c.command === 'TransactWriteItems' && !recipientTransactions.includes(c)),
    ).length;
    const queries = fanoutCalls.filter((c) => c.command === 'Query');
    const itemsRead = queries.reduce((n, c) => n + c.scanned, 0);
    const itemsPerRecipient = baselineItems.length / RECIPIENTS;

    // --- the baseline ----------------------------------------------------------------------------
    process.stdout.write(
      `Baseline: ${baselineItems.length.toLocaleString('en')} items with BatchWriteItem…\n`,
    );
    const baselineStarted = performance.now();
    const batchCalls = await writeBatches(db, baselineItems);
    const baselineMs = performance.now() - baselineStarted;
    const baselineWcu = baselineItems.reduce((n, item) => {
      const bytes = itemSize(item);
      return n + units(bytes) * (1 + indexEntries(item));
    }, 0);

    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    const header = [
      '',
      'recipients',
      'wall time',
      'recipients/s',
      'write round-trips',
      'items written / recipient',
      'WCU / recipient',
      'of which GSI',
    ];
    const fanoutRow = [
      'fan-out (transactions, exactly-once)',
      RECIPIENTS.toLocaleString('en'),
      `${seconds(fanoutMs)} s`,
      (RECIPIENTS / (fanoutMs / 1000)).toFixed(0),
      `${recipientTransactions.length.toLocaleString('en')} TransactWriteItems + ${otherWrites} other`,
      itemsPerRecipient.toFixed(1),
      ((transactWcu + gsiWcu) / RECIPIENTS).toFixed(1),
      (gsiWcu / RECIPIENTS).toFixed(1),
    ];
    const baselineRow = [
      'baseline (BatchWriteItem, same items)',
      RECIPIENTS.toLocaleString('en'),
      `${seconds(baselineMs)} s`,
      (RECIPIENTS / (baselineMs / 1000)).toFixed(0),
      `${batchCalls.toLocaleString('en')} BatchWriteItem`,
      itemsPerRecipient.toFixed(1),
      (baselineWcu / RECIPIENTS).toFixed(1),
      (gsiWcu / RECIPIENTS).toFixed(1),
    ];
    process.stdout.write(
      [
        '',
        `Group communication fan-out — ${RECIPIENTS.toLocaleString('en')} recipients, DynamoDB Local (one writer, chunks of 50)`,
        '',
        line(header),
        line(header.map(() => '---')),
        line(fanoutRow),
        line(baselineRow),
        line([
          'ratio fan-out / baseline',
          '',
          `${(fanoutMs / baselineMs).toFixed(1)}×`,
          '',
          '',
          '',
          `${((transactWcu + gsiWcu) / baselineWcu).toFixed(1)}×`,
          '',
        ]),
        '',
        `Fan-out: ${chunks} chunk invocations; reads: ${queries.length} Queries returning/scanning ${itemsRead.toLocaleString('en')} items ` +
          `(the audience walked twice: count, then send); ${fanoutCalls.filter((c) => c.command === 'GetItem').length} GetItems.`,
        `Each recipient transaction: ${recipientTransactions[0]?.parts.map((p) => `${p.kind} ${String(p.item?.entity ?? p.key.sk.split('#')[0])}`).join(', ')}.`,
        `Sizes (bytes): practitioner counters ${sizes.practitionerCounters}, patient counters ${sizes.patientCounters}, communication ${sizes.communication}, patient record ${sizes.patientRecord}.`,
        `Checked: status done, sent ${done.sent}/${RECIPIENTS}, ${markers} markers, openThreads ${counters.openThreads}, ${messageSent} MessageSent.`,
        'WCU: transactional writes and condition checks 2 per KB, standard writes 1 per KB, +1 per KB per GSI entry written',
        '(thread: gsi1, gsi2, gsi4). DynamoDB Local timings are indicative only.',
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
