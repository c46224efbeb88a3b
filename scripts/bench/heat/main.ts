/**
 * `npm run bench:heat` — which partition keys a realistic mix writes (and reads)
 * the most, on the table and on each index, extrapolated to 100× France at peak
 * with the model of docs/scale.md. Not a test: it prints tables.
 *
 * Setup: DynamoDB Local and the whole local stack (routes, outbox publisher from
 * the stream, event consumers, schedules run on an advancing local clock), on a
 * table whose stream carries old and new images: a second reader of that stream
 * prices every change on the table and derives each index's writes from the
 * images and the index's projection (shared/db/table-definition.ts INDEXES);
 * an SDK middleware on every document client of the process says which writes
 * were transactional and which function made them (ledger.ts).
 *
 * Phases (only 2 and 3 are counted):
 *   1. setup: practitioners (settings, patients, a template and an automation each),
 *      a starting backlog of untreated requests, the group practitioner's base;
 *   2. steady mix at BENCH_RATE patient messages/s for BENCH_SECONDS (workload.ts),
 *      the local clock advanced BENCH_TICK_MINUTES every BENCH_TICK_SECONDS with the
 *      schedules run as their period comes (deferred sends and delayed automations
 *      come due), then every schedule once more; counted until the bus and the
 *      stream are quiet;
 *   3. a group communication to BENCH_RECIPIENTS patients, alone, until done, by a practitioner
 *      with a backlog over their digest threshold.
 *
 *   BENCH_PRACTITIONERS (20)  BENCH_PATIENTS (12 per practitioner)  BENCH_RATE (4)  BENCH_SECONDS (60)
 *   BENCH_TREAT_DELAY (15 s)  BENCH_BACKLOG (2 untreated each)  BENCH_RECIPIENTS (1000)
 *   BENCH_TICK_SECONDS (10)  BENCH_TICK_MINUTES (5)  BENCH_TOP (15)
 *   model: BENCH_BUSY_PER_DAY (200)  BENCH_PROD_ROUNDTRIP_MS (10)
 *
 * The report is printed (markdown) and written to .bench/heat.md.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FUNCTIONS } from '../../../functions/catalog.ts';
import { startDynamoDbLocal } from '../../../local/dynamodb-local.ts';
import { createLogger } from '../../../local/logger.ts';
import { REPO_ROOT, startLocalStack } from '../../../local/stack.ts';
import { LocalStreamPoller } from '../../../local/stream-poller.ts';
import { createTableInput } from '../../../local/table.ts';
import { createDocumentClient } from '../../../shared/db/client.ts';
import { INDEXES } from '../../../shared/db/table-definition.ts';
import { PATIENT_ATTRIBUTES } from '../../../shared/domain/types.ts';
import { createPatientRepository } from '../../../shared/repositories/patient-repository.ts';
import { type ObservedCall, observeDynamoCalls, waitsOf } from '../dynamodb-meter.ts';
import { markdownTable, progress } from '../report.ts';
import type { KnownIds } from './key-classes.ts';
import { HeatLedger, type PartitionHeat, TABLE } from './ledger.ts';
import {
  averageRate,
  type BenchVolume,
  busyPractitionerPeakRate,
  DEFAULT_ASSUMPTIONS,
  type HeatRow,
  heatRows,
  PARTITION_READ_LIMIT,
  PARTITION_WRITE_LIMIT,
  partitionsNeeded,
  peakRate,
  type ScaleAssumptions,
  scaleFactor,
  verdict,
} from './model.ts';
import { type Population, runWorkload, type WorkloadResult } from './workload.ts';

const num = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
};

const PRACTITIONERS = num('BENCH_PRACTITIONERS', 20);
const PATIENTS = num('BENCH_PATIENTS', 12);
const RATE = num('BENCH_RATE', 4);
const SECONDS = num('BENCH_SECONDS', 60);
const TREAT_DELAY = num('BENCH_TREAT_DELAY', 15);
const BACKLOG = num('BENCH_BACKLOG', 2);
const RECIPIENTS = num('BENCH_RECIPIENTS', 1000);
const TICK_SECONDS = num('BENCH_TICK_SECONDS', 10);
const TICK_MINUTES = num('BENCH_TICK_MINUTES', 5);
const TOP = num('BENCH_TOP', 15);
const ASSUMPTIONS: ScaleAssumptions = {
  ...DEFAULT_ASSUMPTIONS,
  busyPractitionerMessagesPerDay: num(
    'BENCH_BUSY_PER_DAY',
    DEFAULT_ASSUMPTIONS.busyPractitionerMessagesPerDay,
  ),
};
/** One DynamoDB round-trip from Lambda in production (the fan-out's pace; lower = faster = hotter). */
const PROD_ROUNDTRIP_MS = num('BENCH_PROD_ROUNDTRIP_MS', 10);
const MIX = { followUpShare: 0.3, appointmentShare: 0.25, deferredShare: 0.1 };
const EVERY_MESSAGE_EVERY = 4;
/** Untreated requests the group practitioner has when sending (over the default threshold of 4). */
const GROUP_BACKLOG = 6;

const TABLE_NAME = 'bench-heat';
const REGION = 'eu-west-3';
const GROUP_PRACTITIONER = 'dr-heat-group';
/**
 * The functions that send a group communication: those its events are delivered to (read from
 * the declarations, so a reworked fan-out is still found); their DynamoDB calls give its pace.
 */
const FANOUT_FUNCTIONS = new Set(
  FUNCTIONS.filter(
    (f) =>
      f.trigger === 'event' &&
      f.rule.events.some(
        (e) => e.detailType === 'CommunicationRequested' || e.detailType === 'CommunicationChunkRequested',
      ),
  ).map((f) => f.name),
);

const pad = (n: number, width = 3) => String(n).padStart(width, '0');
const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '–');
const f1 = (n: number) => (Number.isFinite(n) ? (n >= 100 ? f0(n) : n.toFixed(n >= 10 ? 1 : 2)) : '–');
const pct = (n: number) => `${(100 * n).toFixed(1)} %`;

const population: Population = {
  practitioners: Array.from({ length: PRACTITIONERS }, (_, p) => `dr-heat-${pad(p)}`),
  patients: Array.from({ length: PRACTITIONERS }, (_, p) =>
    Array.from({ length: PATIENTS }, (_, k) => `pat-heat-${pad(p)}-${pad(k, 2)}`),
  ),
};
const groupPatients = Array.from({ length: RECIPIENTS }, (_, n) => `pat-group-${pad(n, 5)}`);
const known: KnownIds = {
  practitioners: new Set([...population.practitioners, GROUP_PRACTITIONER]),
  patients: new Set([...population.patients.flat(), ...groupPatients]),
};

/** Which function a DynamoDB call came from: set around every handler invocation. */
const invocation = new AsyncLocalStorage<string>();

const mapLimit = async <T>(items: readonly T[], limit: number, run: (item: T) => Promise<unknown>) => {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
};

const tableOf = (call: ObservedCall): string | undefined => {
  const input = call.input;
  if (typeof input.TableName === 'string') return input.TableName;
  if (input.RequestItems) return Object.keys(input.RequestItems as object)[0];
  const first = (input.TransactItems as Array<Record<string, { TableName?: string }>> | undefined)?.[0];
  return first ? Object.values(first)[0]?.TableName : undefined;
};

const main = async () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const runStarted = Date.now();
  const dynamo = await startDynamoDbLocal({ readyTimeoutMs: 60_000 });
  const raw = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  // The stack's table, with old images on its stream: the ledger derives index writes from both.
  const input = createTableInput(TABLE_NAME, { stream: true });
  await raw.send(
    new CreateTableCommand({
      ...input,
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );

  const ledger = new HeatLedger(INDEXES);
  ledger.charging = false;
  const fanoutCalls: ObservedCall[] = [];
  let collectFanout = false;
  const stopObserving = observeDynamoCalls((call) => {
    if (tableOf(call) !== TABLE_NAME) return;
    const writer = invocation.getStore() ?? 'bench';
    ledger.recordCall(call, writer);
    if (collectFanout && FANOUT_FUNCTIONS.has(writer)) fanoutCalls.push(call);
  });

  const stack = await startLocalStack({
    dynamoDb: { endpoint: dynamo.endpoint },
    tableName: TABLE_NAME,
    scheduleIntervalSeconds: 0,
    retryDelaysMs: [50, 200, 1000],
    logger: createLogger('heat-stack', { quiet: true }),
    wrapHandlers: (name, handler) => (event, context) => invocation.run(name, () => handler(event, context)),
  });
  const heatStream = new LocalStreamPoller({
    dynamoDb: raw,
    endpoint: dynamo.endpoint,
    region: REGION,
    tableName: TABLE_NAME,
    targets: [
      {
        name: 'bench-heat',
        settings: {
          filters: [{ eventName: ['INSERT', 'MODIFY', 'REMOVE'] }],
          batchSize: 1000,
          maxBatchingWindowSeconds: 0,
          retryAttempts: 0,
          maxRecordAgeSeconds: 6 * 60 * 60,
          parallelizationFactor: 1,
        },
      },
    ],
    invoke: async (_target, event) => {
      for (const record of event.Records)
        ledger.recordChange(record as Parameters<HeatLedger['recordChange']>[0]);
      return null;
    },
  });
  await heatStream.start();

  const quiesce = async () => {
    for (let round = 0; round < 3; round++) {
      await stack.bus.drain(120_000).catch(() => progress('the bus is still busy after 120 s'));
      await heatStream.flush(60_000);
    }
  };
  const token = (sub: string, role: 'practitioner' | 'patient') => stack.auth.issue({ sub, role });
  const api = async (
    sub: string,
    role: 'practitioner' | 'patient',
    method: string,
    path: string,
    body?: unknown,
  ) => {
    const res = await fetch(`${stack.urls.api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await token(sub, role)}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };

  try {
    // --- 1. setup (not counted) -------------------------------------------------------------------
    progress(`setup: ${PRACTITIONERS} practitioners × ${PATIENTS} patients, a group base of ${RECIPIENTS}`);
    await mapLimit(population.practitioners, 4, async (dr) => {
      const p = population.practitioners.indexOf(dr);
      await api(dr, 'practitioner', 'PATCH', '/v1/practitioner/settings', {
        displayName: `Dr ${dr}`,
        email: `${dr}@example.org`,
        timezone: 'Europe/Paris',
        notifications: { mode: p % EVERY_MESSAGE_EVERY === 0 ? 'every_message' : 'threshold' },
      });
      for (const patientId of population.patients[p] ?? []) {
        await api(dr, 'practitioner', 'PUT', `/v1/practitioner/patients/${patientId}`, {
          firstName: 'Camille',
          lastName: `Heat ${patientId}`,
          email: `${patientId}@example.org`,
        });
      }
      const template = await api(dr, 'practitioner', 'POST', '/v1/practitioner/templates', {
        name: 'Suivi',
        body: 'Bonjour {{patient.firstName}}, suite à votre consultation du {{appointment.date}}, tout va bien ?',
      });
      // Half answer at once, half through due work (two minutes later).
      await api(dr, 'practitioner', 'POST', '/v1/practitioner/automations', {
        motive: 'Suivi',
        templateId: template.id,
        replyPolicy: 'single',
        delayMinutes: p % 2 === 0 ? 0 : 2,
      });
      for (let b = 0; b < BACKLOG; b++) {
        const patientId = population.patients[p]?.[(population.patients[p]?.length ?? 1) - 1 - b] as string;
        await api(patientId, 'patient', 'POST', '/v1/patient/threads', {
          practitionerId: dr,
          body: 'Bonjour docteur, une question en attente.',
        });
      }
    });
    await api(GROUP_PRACTITIONER, 'practitioner', 'PATCH', '/v1/practitioner/settings', {
      displayName: 'Dr Groupe',
      email: `${GROUP_PRACTITIONER}@example.org`,
      timezone: 'Europe/Paris',
    });
    const seedDb = {
      client: createDocumentClient({ endpoint: dynamo.endpoint, region: REGION }),
      tableName: TABLE_NAME,
    };
    const patients = createPatientRepository(seedDb);
    const now = new Date().toISOString();
    await mapLimit(groupPatients, 16, (patientId) =>
      patients.upsert(
        GROUP_PRACTITIONER,
        patientId,
        {
          firstName: 'Camille',
          lastName: `Groupe ${patientId}`,
          email: `${patientId}@example.org`,
          attributes: Object.fromEntries(PATIENT_ATTRIBUTES.map((a) => [a, false])) as never,
        },
        now,
      ),
    );
    // A busy practitioner sends it: over their digest threshold, so every counters update of the
    // fan-out also touches whatever index entry their counters carry.
    for (const patientId of groupPatients.slice(0, GROUP_BACKLOG)) {
      await api(patientId, 'patient', 'POST', '/v1/patient/threads', {
        practitionerId: GROUP_PRACTITIONER,
        body: 'Bonjour docteur, une question en attente.',
      });
    }
    await quiesce();

    // --- 2. the steady mix ---------------------------------------------------------------------------
    ledger.reset();
    ledger.charging = true;
    progress(
      `steady mix: ${RATE} patient messages/s for ${SECONDS} s (clock +${TICK_MINUTES} min every ${TICK_SECONDS} s)`,
    );
    const steadyStarted = performance.now();
    let ticking = true;
    let minutes = 0;
    const schedulesRun = new Map<string, number>();
    const runSchedules = async (all: boolean) => {
      for (const schedule of stack.scheduler.definitions) {
        const due =
          all ||
          Math.floor(minutes / schedule.everyMinutes) >
            Math.floor((minutes - TICK_MINUTES) / schedule.everyMinutes);
        if (!due) continue;
        await stack.scheduler
          .run(schedule.name)
          .catch((error: unknown) => progress(`${schedule.name}: ${String(error)}`));
        schedulesRun.set(schedule.name, (schedulesRun.get(schedule.name) ?? 0) + 1);
      }
    };
    const ticker = (async () => {
      while (ticking) {
        await sleep(TICK_SECONDS * 1000);
        if (!ticking) break;
        stack.clock.advance(TICK_MINUTES * 60_000);
        minutes += TICK_MINUTES;
        await runSchedules(false);
      }
    })();
    const workload: WorkloadResult = await runWorkload({
      apiUrl: stack.urls.api,
      token,
      population,
      rate: RATE,
      seconds: SECONDS,
      treatDelaySeconds: TREAT_DELAY,
      ...MIX,
      localNow: () => stack.clock.now(),
      measuring: () => true,
    });
    ticking = false;
    await ticker;
    // Whatever is still pending comes due now: the deferred sends and delayed automations of the run.
    stack.clock.advance(TICK_MINUTES * 60_000);
    minutes += TICK_MINUTES;
    await runSchedules(true);
    await quiesce();
    ledger.settle();
    const steadySeconds = (performance.now() - steadyStarted) / 1000;
    const steady = [...ledger.partitions.values()];
    const steadyStats = { ...ledger.stats };
    const volume: BenchVolume = {
      patientMessages: workload.patientMessages,
      seconds: steadySeconds,
      practitioners: PRACTITIONERS,
    };

    // --- 3. the group communication -----------------------------------------------------------------
    ledger.reset();
    collectFanout = true;
    progress(`group communication to ${RECIPIENTS} patients`);
    const fanoutStarted = performance.now();
    const created = await api(GROUP_PRACTITIONER, 'practitioner', 'POST', '/v1/practitioner/communications', {
      body: 'Bonjour {{patient.firstName}}, le cabinet sera fermé du 1er au 15 août. Bien à vous, {{practitioner.name}}',
      audience: { all: true },
    });
    let communication: Record<string, unknown> = created;
    for (;;) {
      await sleep(1000);
      communication = await api(
        GROUP_PRACTITIONER,
        'practitioner',
        'GET',
        `/v1/practitioner/communications/${created.id}`,
      );
      if (communication.status === 'done' || communication.status === 'failed') break;
      if ((performance.now() - fanoutStarted) / 1000 > 1800)
        throw new Error('the group communication did not end in 30 min');
    }
    const sendSeconds = (performance.now() - fanoutStarted) / 1000;
    await quiesce();
    ledger.settle();
    collectFanout = false;
    const fanout = [...ledger.partitions.values()];
    const fanoutWaits = waitsOf(fanoutCalls);

    // --- report ----------------------------------------------------------------------------------------
    const report = buildReport({
      steady,
      steadyStats,
      volume,
      workload,
      schedulesRun,
      localMinutes: minutes,
      fanout,
      sendSeconds,
      communication,
      fanoutWaits,
      fanoutCalls: fanoutCalls.length,
      runSeconds: (Date.now() - runStarted) / 1000,
    });
    const outDir = join(REPO_ROOT, '.bench');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'heat.md'), report);
    process.stdout.write(`\n${report}\n`);
    progress(`written to ${join(outDir, 'heat.md')}`);
  } finally {
    stopObserving();
    await heatStream.stop();
    await stack.stop();
    raw.destroy();
    await dynamo.stop();
  }
};

interface ReportInput {
  steady: PartitionHeat[];
  steadyStats: HeatLedger['stats'];
  volume: BenchVolume;
  workload: WorkloadResult;
  schedulesRun: Map<string, number>;
  localMinutes: number;
  fanout: PartitionHeat[];
  sendSeconds: number;
  communication: Record<string, unknown>;
  fanoutWaits: number;
  fanoutCalls: number;
  runSeconds: number;
}

const keyCell = (row: HeatRow) =>
  `\`${row.pattern}\`${row.keys > 1 ? ` (${row.keys} keys)` : ''}<br>e.g. \`${row.example}\``;
const scopeCell = (row: HeatRow) => `${row.scope}${row.sharded ? ' (sharded)' : ''}`;
const whereCell = (row: HeatRow) => (row.where === TABLE ? 'table' : row.where);

const commitOf = () => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT }).toString().trim();
  } catch {
    return 'unknown';
  }
};

const buildReport = (r: ReportInput): string => {
  const a = ASSUMPTIONS;
  const messageRate = r.volume.patientMessages / r.volume.seconds;
  const perPractitioner = messageRate / r.volume.practitioners;
  const factorOf = (scope: Parameters<typeof scaleFactor>[0]) => scaleFactor(scope, a, r.volume);
  const rows = heatRows(r.steady, known, r.volume.seconds, factorOf);
  const totalUnits = r.steady.reduce((n, h) => n + h.writeUnits, 0);
  const indexUnits = r.steady.filter((h) => h.where !== TABLE).reduce((n, h) => n + h.writeUnits, 0);

  const sent = Number(r.communication.sent ?? 0) + Number(r.communication.failed ?? 0);
  const localRecipientsPerSecond = sent / r.sendSeconds;
  const wavesPerRecipient = r.fanoutWaits / Math.max(1, sent);
  // No call seen from the fan-out functions (renamed, or run elsewhere): keep the local pace.
  const prodRecipientsPerSecond =
    r.fanoutWaits > 0 ? 1000 / (wavesPerRecipient * PROD_ROUNDTRIP_MS) : localRecipientsPerSecond;
  const fanoutFactor = prodRecipientsPerSecond / localRecipientsPerSecond;
  const fanoutRows = heatRows(r.fanout, known, r.sendSeconds, () => fanoutFactor);
  const background = (row: HeatRow) =>
    rows.find((s) => s.where === row.where && s.pattern === row.pattern)?.projectedWu ?? 0;
  const fanoutTotal = (row: HeatRow) => row.projectedWu + background(row);
  fanoutRows.sort((x, y) => fanoutTotal(y) - fanoutTotal(x));

  const answers = [...r.workload.answers]
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([label, byStatus]) => `${label} ${[...byStatus].map(([s, n]) => `${s}×${n}`).join(' ')}`)
    .join('; ');
  const hot = rows.filter((row) => row.projectedWu > PARTITION_WRITE_LIMIT);
  const hotDuringSend = fanoutRows.filter((row) => fanoutTotal(row) > PARTITION_WRITE_LIMIT);

  return [
    `## Key heat — ${new Date().toISOString().slice(0, 10)}, commit ${commitOf()}, ${cpus().length} cores, DynamoDB Local`,
    '',
    `Steady mix: ${r.volume.practitioners} practitioners × ${PATIENTS} patients, ${r.workload.conversations} conversations, ` +
      `**${r.volume.patientMessages} patient messages: ${(r.volume.patientMessages / SECONDS).toFixed(2)}/s while driven** (target ${RATE}/s for ${SECONDS} s); ` +
      `counted until the bus and the stream were quiet, ${r.volume.seconds.toFixed(1)} s: ${messageRate.toFixed(2)}/s, ${perPractitioner.toFixed(3)}/s per practitioner ` +
      '(every factor below is a ratio of counts over this same window, so its length cancels out). ' +
      `Mix per request: follow-up ${MIX.followUpShare}, appointment + automation ${MIX.appointmentShare}, deferred send ${MIX.deferredShare}; ` +
      `practitioner after ${TREAT_DELAY} s on average (backlog ${BACKLOG} at start): view, read, reply 60 % (a third of them marking treated), treat; ` +
      `1 practitioner in ${EVERY_MESSAGE_EVERY} notified every message, the others at the threshold (4). ` +
      `Local clock +${r.localMinutes} min; schedules run: ${[...r.schedulesRun].map(([n, c]) => `${n} ×${c}`).join(', ')}.`,
    '',
    `Answers: ${answers}.`,
    '',
    `Counted: ${f0(totalUnits)} write units (${pct(indexUnits / Math.max(1, totalUnits))} on indexes); ${r.steadyStats.streamRecords} stream records, ` +
      `${r.steadyStats.conditionChecks} condition checks, ${r.steadyStats.failedWrites} failed writes, ${r.steadyStats.unseenWrites} writes that changed nothing, ` +
      `${r.steadyStats.orphanRecords} records seen before their call.`,
    '',
    `Model (docs/scale.md): 100× France = ${f0(averageRate(a))} patient messages/s on average, **${f0(peakRate(a))}/s at peak** → global keys × ` +
      `${f1(peakRate(a) / messageRate)}; busiest practitioner ${a.busyPractitionerMessagesPerDay}/day over ${a.workingHours} h × ${a.peakFactor.toFixed(1)} at peak = ` +
      `${busyPractitionerPeakRate(a).toFixed(4)}/s → per-entity keys × ${f1(busyPractitionerPeakRate(a) / perPractitioner)}. ` +
      `Limits per partition: ${PARTITION_WRITE_LIMIT} WU/s, ${PARTITION_READ_LIMIT} RU/s.`,
    '',
    `### Hottest keys at 100× peak (one row per table/index and key pattern: its hottest key), top ${TOP}`,
    '',
    markdownTable(
      [
        'table / index',
        'partition key',
        'class',
        'writes',
        'WU',
        'WU/s measured',
        'share of all WU (pattern)',
        '× factor',
        'WU/s at 100× peak',
        'verdict vs 1,000',
        'all keys of the pattern at 100× peak → partitions needed',
        'written by (WU)',
      ],
      rows
        .slice(0, TOP)
        .map((row) => [
          whereCell(row),
          keyCell(row),
          scopeCell(row),
          f0(row.writes),
          f0(row.writeUnits),
          f1(row.wuPerSecond),
          `${pct(row.share)} (${pct(row.patternShare)})`,
          f1(row.factor),
          f1(row.projectedWu),
          verdict(row.projectedWu, PARTITION_WRITE_LIMIT),
          partitionsNeeded(row, PARTITION_WRITE_LIMIT) === null
            ? '–'
            : `${f1(row.projectedPatternWu)} → ${partitionsNeeded(row, PARTITION_WRITE_LIMIT)}`,
          row.writers.slice(0, 3).join(', '),
        ]),
    ),
    '',
    hot.length > 0
      ? `**Over 1,000 WU/s at 100× peak: ${hot.map((row) => `${whereCell(row)} \`${row.pattern}\` (${f0(row.projectedWu)})`).join(', ')}.**`
      : '**No key over 1,000 WU/s at 100× peak.**',
    '',
    '### Reads at 100× peak, top 10 (read units of the most-read key of each pattern)',
    '',
    markdownTable(
      ['table / index', 'partition key', 'class', 'RU', 'RU/s at 100× peak', 'verdict vs 3,000'],
      [...rows]
        .sort((x, y) => y.projectedRu - x.projectedRu)
        .slice(0, 10)
        .map((row) => [
          whereCell(row),
          keyCell(row),
          scopeCell(row),
          f1(row.readUnits),
          f0(row.projectedRu),
          verdict(row.projectedRu, PARTITION_READ_LIMIT),
        ]),
    ),
    '',
    `### During a group communication (fan-out alone: ${sent} recipients, status ${String(r.communication.status)}; its practitioner has ${GROUP_BACKLOG} untreated requests)`,
    '',
    `Locally ${sent} recipients in ${r.sendSeconds.toFixed(1)} s = ${localRecipientsPerSecond.toFixed(1)}/s. The fan-out (${[...FANOUT_FUNCTIONS].join(', ')}) made ${r.fanoutCalls} DynamoDB calls in ` +
      `${r.fanoutWaits} sequential waits (${wavesPerRecipient.toFixed(2)} per recipient); at ${PROD_ROUNDTRIP_MS} ms a round-trip in production that is ` +
      `**${f0(prodRecipientsPerSecond)} recipients/s** (× ${f1(fanoutFactor)} the local rate), a 10,000-recipient communication in ${f0(10_000 / prodRecipientsPerSecond)} s. ` +
      'Key rates during the send do not depend on the number of recipients (only its length does): the 10,000 case has the same rates. ' +
      'Background = the same key pattern at 100× peak from the table above (global keys: the whole service; per-entity keys: the busiest practitioner).',
    '',
    markdownTable(
      [
        'table / index',
        'partition key',
        'class',
        'WU',
        'WU / recipient',
        'WU/s local',
        'WU/s in production',
        '+ background at 100× peak',
        'total',
        'verdict vs 1,000',
        'written by (WU)',
      ],
      fanoutRows
        .slice(0, TOP)
        .map((row) => [
          whereCell(row),
          keyCell(row),
          scopeCell(row),
          f0(row.writeUnits),
          f1(row.writeUnits / Math.max(1, sent)),
          f1(row.wuPerSecond),
          f1(row.projectedWu),
          f1(background(row)),
          f1(fanoutTotal(row)),
          verdict(fanoutTotal(row), PARTITION_WRITE_LIMIT),
          row.writers.slice(0, 3).join(', '),
        ]),
    ),
    '',
    `Reads during the send, in production, top 5: ${[...fanoutRows]
      .sort((x, y) => y.projectedRu - x.projectedRu)
      .slice(0, 5)
      .map(
        (row) =>
          `${whereCell(row)} \`${row.pattern}\` ${f1(row.projectedRu)} RU/s (${verdict(row.projectedRu, PARTITION_READ_LIMIT)})`,
      )
      .join('; ')}.`,
    '',
    hotDuringSend.length > 0
      ? `**Over 1,000 WU/s during a group communication: ${hotDuringSend.map((row) => `${whereCell(row)} \`${row.pattern}\` (${f0(fanoutTotal(row))})`).join(', ')}.**`
      : '**No key over 1,000 WU/s during a group communication.**',
    '',
    `_Run took ${Math.round(r.runSeconds)} s. WU: table writes 1 per KB of the larger image (2 in a transaction; a ConditionCheck 2 per KB of the item checked), ` +
      'each index write 1 per KB of its projected entry; RU: 1 per 4 KB read (½ eventually consistent, 2 transactional). Timings on DynamoDB Local are indicative; the counts are not._',
    '',
  ].join('\n');
};

await main();
process.exit(0);
