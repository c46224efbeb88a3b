/**
 * Part of `npm run bench:sweep` (BENCH_ONLY=due-work for this part alone): how fast
 * the due-work queue drains as workers are added (docs/adr/0005-due-work-scale-out.md),
 * next to a baseline measured in the same run. Not a test: it prints a table.
 *
 * For each worker count W (1, 2, 4, 8): ITEMS items due at once, spread over the
 * DUE_WORK_SHARDS shards, then the real tick (sweepDueWork) and the real workers
 * (runDueShard, DUE_WORK_DISPATCH.workerConcurrency runs each), W of them at a
 * time, fed the DueWorkShardRequested events the tick and the workers commit (as
 * EventBridge would invoke up to W Lambdas at once). The runner stands for a
 * delivery's own DynamoDB round-trips in AWS by waiting RUNNER_MS: the queue's
 * own reads and writes (Query pages, claim, finish, outbox) hit DynamoDB Local for
 * real. Every item must end `done` after exactly one claim, or the bench fails.
 *
 * Baseline, same run, same items count, same parallelism (W × concurrency lanes):
 * the bare claim + finish UpdateItems of the items (the repository's two
 * conditional updates, called directly on known keys): no Query, no runner, no
 * hand-on — the floor of what draining an item costs DynamoDB.
 */

import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { observeOutbox } from '../../local/outbox-observer.ts';
import { ensureTable } from '../../local/table.ts';
import { type Db, documentClientOver } from '../../shared/db/client.ts';
import { DUE_WORK_SHARDS } from '../../shared/db/keys.ts';
import { DUE_WORK_DISPATCH } from '../../shared/domain/due-work.ts';
import { fixedClock } from '../../shared/runtime/clock.ts';
import { buildDeps } from '../../shared/runtime/deps.ts';
import type { Mailer } from '../../shared/runtime/mailer.ts';
import { allOptionalRepositories } from '../../shared/runtime/optional-repositories.ts';
import {
  type DueWorkRunner,
  runDueShard,
  type ShardRequest,
  sweepDueWork,
} from '../../shared/use-cases/due-work.ts';

const REGION = 'eu-west-3';
const ITEMS = Number(process.env.BENCH_DUE_ITEMS ?? 1000);
const RUNNER_MS = Number(process.env.BENCH_DUE_RUNNER_MS ?? 50);
/**
 * Runs at once per worker. Production runs 10 (DUE_WORK_DISPATCH.workerConcurrency), but DynamoDB Local on
 * two shared cores tops out at a few hundred conditional writes a second, which 10 runs of one or two
 * workers already reach: the bench would then measure the emulator's ceiling, not the design's scaling.
 * With 2, eight workers stay under it. BENCH_DUE_CONCURRENCY=10 shows the saturated case.
 */
const CONCURRENCY = Number(process.env.BENCH_DUE_CONCURRENCY ?? 2);
const WORKER_COUNTS = [1, 2, 4, 8];
const DUE_AT = '2026-05-14T08:00:00.000Z';
const NOW = '2026-05-14T08:00:30.000Z';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts round-trips per operation on a document client. */
const countCalls = (client: DynamoDBDocumentClient) => {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const op = String(context.commandName).replace(/Command$/, '');
      counts.set(op, (counts.get(op) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'benchDueWorkCalls' },
  );
  return {
    reset: () => counts.clear(),
    snapshot: () => Object.fromEntries(counts),
  };
};

/** Runs `items` on `lanes` lanes at once. */
const pool = async <T>(items: T[], lanes: number, run: (item: T) => Promise<void>) => {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(lanes, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await run(item);
    }),
  );
};

interface Row {
  workers: number;
  lanes: number;
  drainMs: number;
  baselineMs: number;
  invocations: number;
  calls: Record<string, number>;
}

export const benchDueWorkDrain = async (endpoint: string): Promise<string> => {
  const raw = new DynamoDBClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 5,
    // 8 workers × 10 runs: more sockets than the SDK's default 50, so no run waits for one.
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 256 }) },
  });
  const tableName = 'bench-due-work';
  await ensureTable(raw, tableName, { stream: false });
  const client = documentClientOver(raw);
  const db: Db = { client, tableName };
  const calls = countCalls(client);
  const requests: ShardRequest[] = [];
  observeOutbox(client, ({ definition, envelope }) => {
    if (definition.detailType === 'DueWorkShardRequested') requests.push(envelope.data as ShardRequest);
  });
  const clock = fixedClock(NOW);
  const refusing: Mailer = {
    async send() {
      throw new Error('no email in this bench');
    },
  };
  const deps = buildDeps({
    db,
    optional: allOptionalRepositories(db),
    clock,
    mailer: refusing,
    appBaseUrl: 'https://app.bench',
  });
  const concurrency = CONCURRENCY;

  const seed = async (prefix: string) => {
    const ids = Array.from({ length: ITEMS }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
    await pool(ids, 32, async (workId) => {
      await deps.dueWork.schedule({ workId, kind: 'automation', payload: {}, dueAt: DUE_AT }, NOW);
    });
    return ids;
  };
  const checkAllDone = async (ids: string[], what: string) => {
    let wrong = 0;
    await pool(ids, 32, async (id) => {
      const work = await deps.dueWork.get(id);
      if (work?.state !== 'done' || work.attempts !== 1) wrong++;
    });
    if (wrong > 0)
      throw new Error(`${what}: ${wrong} of ${ids.length} items not done after exactly one claim`);
  };

  const rows: Row[] = [];
  for (const workers of WORKER_COUNTS) {
    const lanes = workers * concurrency;

    // Drain: the tick, then W workers at a time on the shard requests committed meanwhile.
    const drained = await seed(`drain-w${workers}`);
    const runs = new Set<string>();
    const runner: DueWorkRunner = async (_deps, _payload, work) => {
      if (runs.has(work.workId)) throw new Error(`${work.workId} ran twice`);
      runs.add(work.workId);
      await sleep(RUNNER_MS);
      return { outcome: 'done' };
    };
    const runners = { automation: runner };
    requests.length = 0;
    calls.reset();
    let invocations = 0;
    const started = performance.now();
    await sweepDueWork(deps, { runners });
    const lane = async () => {
      for (let request = requests.shift(); request; request = requests.shift()) {
        invocations++;
        const budgetStart = performance.now();
        await runDueShard(deps, request, {
          runners,
          concurrency,
          shouldContinue: () => performance.now() - budgetStart < DUE_WORK_DISPATCH.workerBudgetMs,
        });
      }
    };
    do await Promise.all(Array.from({ length: workers }, lane));
    while (requests.length > 0);
    const drainMs = performance.now() - started;
    const drainCalls = calls.snapshot();
    if (runs.size !== ITEMS) throw new Error(`drain with ${workers} workers ran ${runs.size} of ${ITEMS}`);
    await checkAllDone(drained, `drain, ${workers} workers`);

    // Baseline: the same two conditional UpdateItems per item on known keys, W × concurrency at a time.
    const bare = await seed(`bare-w${workers}`);
    const bareStarted = performance.now();
    await pool(bare, lanes, async (workId) => {
      const claimed = await deps.dueWork.claim(workId, `${DUE_AT}#${workId}`, NOW);
      if (!claimed) throw new Error(`baseline could not claim ${workId}`);
      await deps.dueWork.finish(claimed, 'done', null, NOW);
    });
    const baselineMs = performance.now() - bareStarted;
    await checkAllDone(bare, `baseline, ${workers} lanes`);

    rows.push({
      workers,
      lanes,
      drainMs,
      baselineMs,
      invocations,
      calls: drainCalls,
    });
    process.stdout.write(
      `  ${workers} worker(s): drain ${(drainMs / 1000).toFixed(1)} s, baseline ${(baselineMs / 1000).toFixed(1)} s\n`,
    );
  }

  const rate = (ms: number) => ITEMS / (ms / 1000);
  const first = rows[0] as Row;
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const header = [
    'workers',
    `runs at once (workers × ${concurrency})`,
    'drain: items/s',
    'speed-up vs 1 worker',
    'worker invocations',
    'baseline (bare claim + finish): items/s',
    'baseline speed-up',
    'drain / baseline',
  ];
  const calls1 = Object.entries(first.calls)
    .map(([op, n]) => `${op} ${n.toLocaleString('en')} (${(n / ITEMS).toFixed(2)}/item)`)
    .join(', ');
  return [
    '',
    `Due-work drain vs bare claim + finish — ${ITEMS} items due at once over ${DUE_WORK_SHARDS} shards, ${concurrency} runs per worker, runner ${RUNNER_MS} ms (DynamoDB Local)`,
    '',
    line(header),
    line(header.map(() => '---')),
    ...rows.map((r) =>
      line([
        String(r.workers),
        String(r.lanes),
        rate(r.drainMs).toFixed(0),
        `${(first.drainMs / r.drainMs).toFixed(2)}×`,
        String(r.invocations),
        rate(r.baselineMs).toFixed(0),
        `${(first.baselineMs / r.baselineMs).toFixed(2)}×`,
        `${(rate(r.drainMs) / rate(r.baselineMs)).toFixed(2)}`,
      ]),
    ),
    '',
    `DynamoDB round-trips of the drain (1 worker): ${calls1} — UpdateItem = claim + finish; Query = the tick's`,
    `probe of each shard + pages of ${DUE_WORK_DISPATCH.workerPageSize}; TransactWriteItems = outbox items (hand-ons), PutItem/GetItem = none.`,
    'Every item ended `done` with one attempt (checked). The baseline needs no Query and no runner: it is',
    "the floor of the queue's own writes, and, CPU-bound on DynamoDB Local, the machine's ceiling for them.",
    '',
  ].join('\n');
};
