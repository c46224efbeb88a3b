/**
 * The benchmark suite (`npm run bench`), not a test: it never fails on a time.
 * Every figure is printed next to a baseline measured in the same run:
 *
 *   1. API latency p50/p99 through the local stack  vs  the bare DynamoDB calls
 *   2. DynamoDB round-trips / items / capacity per route  vs  what it must make
 *   3. bundle size and init time per function  vs  a bare handler with the same clients
 *   4. throughput under load (autocannon)  vs  a bare node:http server
 *   5. live inbox: commit-to-WebSocket delay  vs  a client polling /summary (the whole event chain runs)
 *
 * Setup: a DynamoDB Local started here, the local stack on random ports with a
 * fresh table, and NO event consumers or schedules (in AWS they run in other
 * Lambdas; here they would share this process's CPU with the routes measured).
 *
 *   BENCH_ITERATIONS (200)   requests per latency figure (after 20 warm-up ones)
 *   BENCH_INIT_RUNS (5)      fresh processes per init-time figure (median)
 *   BENCH_LOAD_SECONDS (30)  duration of each load test; BENCH_CONNECTIONS (50)
 *   BENCH_REALTIME_MESSAGES (50)  messages timed by the live-inbox section; BENCH_POLL_MS (1000) its baseline poll
 *   BENCH_ONLY=api,bundles,load,realtime   run some sections only
 *
 * The report is printed (markdown) and written to .bench/results.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BUNDLE_LIMIT_BYTES } from '../../infra/bundling.ts';
import { startDynamoDbLocal } from '../../local/dynamodb-local.ts';
import { createLogger } from '../../local/logger.ts';
import { REPO_ROOT, startLocalStack } from '../../local/stack.ts';
import { documentClientOver } from '../../shared/db/client.ts';
import { benchApi, type RouteRun } from './api-latency.ts';
import { type BundleResult, benchBundles } from './bundles.ts';
import { createDynamoMeter, dynamoTimeOf, waitsOf } from './dynamodb-meter.ts';
import { type LoadResult, load, startBareServer } from './load.ts';
import { benchRealtime, realtimeSection } from './realtime.ts';
import { fmt, kb, markdownTable, median, percentile, progress, ratio } from './report.ts';

const intFromEnv = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};

const ITERATIONS = intFromEnv('BENCH_ITERATIONS', 200);
const WARMUP = 20;
const INIT_RUNS = intFromEnv('BENCH_INIT_RUNS', 5);
const LOAD_SECONDS = intFromEnv('BENCH_LOAD_SECONDS', 30);
const CONNECTIONS = intFromEnv('BENCH_CONNECTIONS', 50);
const ONLY = new Set((process.env.BENCH_ONLY ?? 'api,bundles,load,realtime').split(',').map((s) => s.trim()));
const REALTIME_MESSAGES = intFromEnv('BENCH_REALTIME_MESSAGES', 50);
const POLL_MS = intFromEnv('BENCH_POLL_MS', 1000);

const OUT_DIR = join(REPO_ROOT, '.bench');
/** Report sections by number, printed in order whatever ran first. */
const sections = new Map<number, string[]>();

const operationsOf = (calls: RouteRun['calls']): string => {
  // The most frequent sequence of operations for the route's requests.
  const counts = new Map<string, number>();
  for (const request of calls) {
    const grouped = new Map<string, number>();
    for (const c of request) grouped.set(c.operation, (grouped.get(c.operation) ?? 0) + 1);
    const key = [...grouped].map(([op, n]) => (n > 1 ? `${op}×${n}` : op)).join(' + ') || '(none)';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const [top] = [...counts].sort((a, b) => b[1] - a[1]);
  return top ? `${top[0]}${counts.size > 1 ? ` (in ${top[1]}/${calls.length})` : ''}` : '–';
};

const share = (value: number, baseline: number) =>
  Number.isFinite(value) && baseline > 0 ? `${((100 * value) / baseline).toFixed(1)} %` : '–';

const mean = (values: number[]) =>
  values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;

const apiSections = (runs: RouteRun[]) => {
  const timed = runs.filter((r) => r.bare);
  sections.set(1, [
    `### 1. API latency through the local stack vs the bare DynamoDB calls (ms; ${ITERATIONS} sequential requests after ${WARMUP} warm-up, each followed by its bare calls)`,
    markdownTable(
      [
        'route',
        'API p50',
        'API p99',
        'function p50',
        'in DynamoDB p50',
        'bare p50',
        'bare p99',
        'p50 ratio',
        'p99 ratio',
        'function p50 ratio',
        'bare calls',
        'failed',
      ],
      timed.map((r) => {
        const bare = r.bare as NonNullable<RouteRun['bare']>;
        const p50 = percentile(r.latencies, 50);
        const p99 = percentile(r.latencies, 99);
        const b50 = percentile(bare.latencies, 50);
        const b99 = percentile(bare.latencies, 99);
        return [
          `${r.label}<br>\`${r.route}\``,
          fmt(p50),
          fmt(p99),
          fmt(percentile(r.functionMs, 50)),
          fmt(percentile(r.calls.map(dynamoTimeOf), 50)),
          fmt(b50),
          fmt(b99),
          ratio(p50, b50),
          ratio(p99, b99),
          ratio(percentile(r.functionMs, 50), b50),
          bare.description,
          String(r.failures),
        ];
      }),
    ),
    '',
  ]);
  sections.set(2, [
    '### 2. DynamoDB per request (counted by an SDK middleware on the functions’ client)',
    markdownTable(
      [
        'route',
        'operations (most frequent)',
        'calls',
        'round-trips (parallel calls count once)',
        'must (data-model.md)',
        'ratio',
        'items read',
        'items written',
        'capacity units (DynamoDB Local)',
        'requests (failed)',
      ],
      runs.map((r) => {
        const callCount = mean(r.calls.map((c) => c.length));
        const trips = mean(r.calls.map(waitsOf));
        const read = mean(r.calls.map((c) => c.reduce((n, x) => n + x.itemsRead, 0)));
        const written = mean(r.calls.map((c) => c.reduce((n, x) => n + x.itemsWritten, 0)));
        const capacity = mean(r.calls.map((c) => c.reduce((n, x) => n + (x.capacityUnits ?? 0), 0)));
        return [
          `${r.label}<br>\`${r.route}\``,
          operationsOf(r.calls),
          fmt(callCount, 2),
          fmt(trips, 2),
          r.mustRoundTrips === undefined ? '–' : String(r.mustRoundTrips),
          r.mustRoundTrips === undefined ? '–' : ratio(trips, r.mustRoundTrips),
          fmt(read, 1),
          fmt(written, 1),
          fmt(capacity, 1),
          `${r.calls.length} (${r.failures})`,
        ];
      }),
    ),
    '',
    'Capacity is what DynamoDB Local reports with `ReturnConsumedCapacity: TOTAL`; its accounting is not the service’s (see docs/data-model.md for costs from the pricing rules). Items read count a Query’s scanned items and a transaction’s ConditionChecks.',
    '',
    ...assistantSection(runs),
  ]);
};

/**
 * An assistant's call of a practitioner route against the practitioner's own, same run: the cost
 * of the grant check (one consistent GetItem, shared/http/route.ts), as a ratio of each side to
 * its bare baseline and of the two p50s.
 */
const assistantSection = (runs: RouteRun[]): string[] => {
  const pairs = runs.flatMap((r) => {
    const own = runs.find((o) => o.label === r.sameRouteAs);
    return own ? [[own, r] as const] : [];
  });
  if (pairs.length === 0) return [];
  const ofBare = (r: RouteRun) => ratio(percentile(r.latencies, 50), percentile(r.bare?.latencies ?? [], 50));
  return [
    '#### Practice teams: assistant token (`On-Behalf-Of`) vs practitioner token, same route, same run',
    markdownTable(
      [
        'route',
        'practitioner p50',
        'assistant p50',
        'assistant / practitioner p50',
        'practitioner / bare p50',
        'assistant / bare p50',
        'round-trips (practitioner → assistant)',
      ],
      pairs.map(([own, assisted]) => [
        `\`${own.route}\``,
        fmt(percentile(own.latencies, 50)),
        fmt(percentile(assisted.latencies, 50)),
        ratio(percentile(assisted.latencies, 50), percentile(own.latencies, 50)),
        ofBare(own),
        ofBare(assisted),
        `${fmt(mean(own.calls.map(waitsOf)), 2)} → ${fmt(mean(assisted.calls.map(waitsOf)), 2)}`,
      ]),
    ),
    '',
  ];
};

const times = (value: number, baseline: number) =>
  Number.isFinite(value) && baseline > 0 ? `×${(value / baseline).toFixed(2)}` : '–';

const bundleSection = (result: Awaited<ReturnType<typeof benchBundles>>) => {
  const { bares } = result;
  const baselineOf = (f: BundleResult) => bares.find((b) => b.name === f.baseline);
  const largest = [...result.functions].sort((a, b) => b.bytes - a.bytes)[0];
  const over = result.functions.filter((f) => f.bytes > BUNDLE_LIMIT_BYTES);
  const initRatios = result.functions.map((f) => f.init.wallMs / (f.baselineInit?.wallMs ?? Number.NaN));
  const cpuRatios = result.functions.map((f) => f.init.cpuMs / (f.baselineInit?.cpuMs ?? Number.NaN));
  const defaultRatios = result.functions.map(
    (f) => f.init.wallMs / (f.defaultBuildBaselineInit?.wallMs ?? Number.NaN),
  );
  const powertoolsRatios = result.functions.map(
    (f) => f.init.wallMs / (f.powertoolsBaselineInit?.wallMs ?? Number.NaN),
  );
  const powertoolsFloor = result.functions.map(
    (f) => (f.powertoolsBaselineInit?.wallMs ?? Number.NaN) / (f.baselineInit?.wallMs ?? Number.NaN),
  );
  const within = (ratios: number[]) => ratios.filter((r) => r <= 1.5).length;
  sections.set(3, [
    `### 3. Bundle size and init time per function vs a bare handler with the same SDK clients (init: median of ${INIT_RUNS} fresh processes each, function and bare handler alternately)`,
    markdownTable(
      [
        'function',
        'bundle',
        'gzip',
        'init ms',
        'bare init ms',
        'init ratio',
        'CPU ratio',
        'vs default-build bare',
        'vs bare + Powertools',
        'size ratio',
        'baseline',
      ],
      [
        ...bares.map((b) => [
          `**${b.name}**`,
          kb(b.bytes),
          kb(b.gzipBytes),
          fmt(b.init.wallMs),
          '–',
          '×1.00',
          '×1.00',
          `${times(b.init.wallMs, b.defaultBuildBaselineInit?.wallMs ?? Number.NaN)} (built so: ${kb(b.defaultBuildBytes ?? Number.NaN)})`,
          `${times(b.init.wallMs, b.powertoolsBaselineInit?.wallMs ?? Number.NaN)} (bare + Powertools: ${fmt(b.powertoolsBaselineInit?.wallMs ?? Number.NaN)} ms)`,
          '×1.00',
          '–',
        ]),
        ...result.functions.map((f) => [
          f.name,
          kb(f.bytes),
          kb(f.gzipBytes),
          fmt(f.init.wallMs),
          fmt(f.baselineInit?.wallMs ?? Number.NaN),
          times(f.init.wallMs, f.baselineInit?.wallMs ?? Number.NaN),
          times(f.init.cpuMs, f.baselineInit?.cpuMs ?? Number.NaN),
          times(f.init.wallMs, f.defaultBuildBaselineInit?.wallMs ?? Number.NaN),
          times(f.init.wallMs, f.powertoolsBaselineInit?.wallMs ?? Number.NaN),
          times(f.bytes, baselineOf(f)?.bytes ?? Number.NaN),
          baselineOf(f)?.name.replace(/^bare handler /, '') ?? '–',
        ]),
      ],
    ),
    '',
    `Largest bundle ${largest ? `${largest.name} ${kb(largest.bytes)}` : '–'} (limit ${kb(BUNDLE_LIMIT_BYTES)}: ${
      over.length === 0 ? 'none over' : `${over.length} over`
    }). Init ratio median ${times(median(initRatios), 1)}, max ${times(Math.max(...initRatios), 1)}, ${within(initRatios)}/${
      initRatios.length
    } at most ×1.5; CPU ratio median ${times(median(cpuRatios), 1)}, max ${times(Math.max(...cpuRatios), 1)}, ${within(cpuRatios)}/${
      cpuRatios.length
    } at most ×1.5; vs the default-build bare handler median ${times(median(defaultRatios), 1)}, max ${times(
      Math.max(...defaultRatios),
      1,
    )}; vs the bare handler with Powertools median ${times(median(powertoolsRatios), 1)}, max ${times(
      Math.max(...powertoolsRatios),
      1,
    )}. Powertools alone (Logger, Metrics, the Tracer and its X-Ray SDK) is ${times(median(powertoolsFloor), 1)} of the bare handler (median).`,
    '',
    `What it is made of: ${
      largest?.composition
        .slice(0, 10)
        .map((c) => `${c.from} ${kb(c.bytes)}`)
        .join(', ') ?? '–'
    }.`,
    '',
    "Every bundle, the bare handlers too, is built with the deployed options (infra/bundling.ts: esbuild, node22, ESM, minified, tree-shaken, AWS SDK bundled, the Lambda aliases, source map without sources). Init = importing the bundle in a fresh `node` with `--enable-source-maps` (as deployed), which builds the function's dependencies; each function is compared with the bare handler that creates the same clients (DynamoDB, + EventBridge for the publisher, + SESv2 for the email senders), timed alternately with it. CPU ratio: the same in CPU time, steadier when the machine is busy. vs default-build bare: the function against that bare handler bundled without the Lambda aliases (the SDK's whole default credential chain, as any handler gets it: the reference of issue 12's first figures). vs bare + Powertools: against the same bare handler that also builds Powertools' Logger, Metrics and Tracer capturing its clients, the floor of a function that keeps Powertools' behaviour; what is left above it is this project's own code, zod and the idempotency layer.",
    '',
  ]);
};

const loadSection = (results: LoadResult[]) => {
  const [bare] = results;
  sections.set(4, [
    `### 4. Throughput under load (autocannon, ${CONNECTIONS} connections, ${LOAD_SECONDS} s each)`,
    markdownTable(
      ['target', 'req/s', '% of bare', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'errors', 'timeouts'],
      results.map((r) => [
        r.label,
        fmt(r.requestsPerSecond, 0),
        bare ? share(r.requestsPerSecond, bare.requestsPerSecond) : '–',
        fmt(r.p50, 0),
        fmt(r.p99, 0),
        String(r.total),
        String(r.non2xx),
        String(r.errors),
        String(r.timeouts),
      ]),
    ),
    '',
    'The bare server is this machine’s ceiling for one node process and this client; the API adds, per request, the local API Gateway emulation with RS256 JWT verification, the middy/Powertools chain, zod validation and DynamoDB Local round-trips.',
    '',
  ]);
};

const main = async () => {
  const started = Date.now();
  const header = [
    '## Benchmark',
    '',
    `${new Date().toISOString()} · node ${process.version} · ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}) · load average at start ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')}`,
    '',
    'Everything runs on this machine: a slower or busier machine changes the absolute figures, not what they are compared with.',
    '',
  ];

  if (ONLY.has('api') || ONLY.has('load')) {
    progress('starting DynamoDB Local and the local stack (no consumers, no schedules, no stream)');
    const meter = createDynamoMeter({ returnConsumedCapacity: true });
    const dynamo = await startDynamoDbLocal();
    let stack: Awaited<ReturnType<typeof startLocalStack>> | undefined;
    // The bare calls' client is built like the functions' (same marshalling) and metered like them
    // (the meter asks DynamoDB for consumed capacity, which costs DynamoDB Local time): only the
    // local IAM enforcement is theirs alone.
    const doc = documentClientOver(
      new DynamoDBClient({
        endpoint: dynamo.endpoint,
        region: 'eu-west-3',
        credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      }),
    );
    try {
      stack = await startLocalStack({
        dynamoDb: { endpoint: dynamo.endpoint },
        tableName: `bench-${Date.now()}`,
        rules: [],
        schedules: [],
        // In AWS the stream is read outside the request path, by other functions; DynamoDB Local's
        // streams slow every write and its poller competes for the CPU: neither belongs in a latency.
        streams: [],
        scheduleIntervalSeconds: 0,
        logger: createLogger('bench-stack', { quiet: true }),
      });
      const auth = stack.auth;
      const token = (sub: string, role: 'practitioner' | 'patient' | 'assistant') =>
        auth.issue({ sub, role });
      if (ONLY.has('api')) {
        const runs = await benchApi({
          apiUrl: stack.urls.api,
          token,
          doc,
          tableName: stack.tableName,
          meter,
          iterations: ITERATIONS,
          warmup: WARMUP,
        });
        apiSections(runs);
      }
      if (ONLY.has('load')) {
        const bareServer = await startBareServer();
        const results: LoadResult[] = [];
        const common = { connections: CONNECTIONS, seconds: LOAD_SECONDS };
        try {
          results.push(await load('bare node:http, constant JSON', { url: bareServer.url, ...common }));
        } finally {
          await bareServer.stop();
        }
        meter.stop();
        const drToken = await token('load-dr', 'practitioner');
        const patToken = await token('load-pat', 'patient');
        const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
        await fetch(`${stack.urls.api}/v1/practitioner/patients/load-pat`, {
          method: 'PUT',
          headers: { ...bearer(drToken), 'content-type': 'application/json' },
          body: JSON.stringify({ firstName: 'Camille', lastName: 'Load' }),
        });
        results.push(
          await load('GET /v1/practitioner/summary', {
            url: `${stack.urls.api}/v1/practitioner/summary`,
            headers: bearer(drToken),
            ...common,
          }),
        );
        results.push(
          await load('POST /v1/patient/threads (send)', {
            url: `${stack.urls.api}/v1/patient/threads`,
            method: 'POST',
            headers: { ...bearer(patToken), 'content-type': 'application/json' },
            body: JSON.stringify({
              practitionerId: 'load-dr',
              body: 'Bonjour docteur, une question rapide.',
            }),
            ...common,
          }),
        );
        // Requests autocannon gave up on may still be running: let them end before the stack stops.
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        loadSection(results);
      }
    } finally {
      meter.stop();
      await stack?.stop();
      doc.destroy();
      await dynamo.stop();
    }
  }

  if (ONLY.has('realtime')) {
    progress('live inbox: a local stack with the stream, the bus and the notifier');
    const dynamo = await startDynamoDbLocal();
    try {
      const result = await benchRealtime({
        dynamoDbEndpoint: dynamo.endpoint,
        messages: REALTIME_MESSAGES,
        pollMs: POLL_MS,
        logger: createLogger('bench-realtime', { quiet: true }),
      });
      sections.set(5, realtimeSection(result));
    } finally {
      await dynamo.stop();
    }
  }

  if (ONLY.has('bundles')) {
    bundleSection(
      await benchBundles({ repoRoot: REPO_ROOT, outDir: join(OUT_DIR, 'bundles'), initRuns: INIT_RUNS }),
    );
  }

  const ordered = [...sections].sort(([a], [b]) => a - b).flatMap(([, lines]) => lines);
  const report = [
    ...header,
    ...ordered,
    `_Run took ${Math.round((Date.now() - started) / 1000)} s._`,
    '',
  ].join('\n');
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'results.md'), report);
  process.stdout.write(`\n${report}\n`);
  progress(`written to ${join(OUT_DIR, 'results.md')}`);
};

await main();
process.exit(0);
