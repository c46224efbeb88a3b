/**
 * Bundle size per function and handler init time in a fresh process, next to a
 * bare handler that only creates the same SDK clients.
 *
 * Every bundle, the bare handlers' too, is built with the deployed options
 * (infra/bundling.ts: esbuild, node22, ESM, minified, tree-shaken, AWS SDK
 * bundled, the Lambda aliases, source map without sources), into
 * .bench/bundles/, and started as Lambda starts it (NODE_OPTIONS
 * --enable-source-maps, the Lambda variables that turn tracing on). Init time = a fresh `node` importing the bundle, which
 * builds the function's dependencies at cold start; the bare handler of a
 * function creates the clients the function creates (DynamoDB document client
 * always, EventBridge for the functions declared to publish, SESv2 for those
 * declared `sendsEmail`) and nothing else; and the same bare handler built
 * without the Lambda aliases (the SDK's default credential chain, as any handler
 * gets it). They are started alternately, so a busy machine slows all alike;
 * each is timed in wall-clock and CPU time.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { lambdaBuildOptions } from '../../infra/bundling.ts';
import { lambdaEnvironment } from '../../local/lambda-env.ts';
import { ENV } from '../../shared/config.ts';
import { median, progress } from './report.ts';

const run = promisify(execFile);

export interface InitTime {
  /** Median wall-clock ms to import the bundle in a fresh node process. */
  wallMs: number;
  /** Median CPU ms (user + system) of that import: steadier than wall-clock on a shared machine. */
  cpuMs: number;
}

export interface BundleResult {
  name: string;
  bytes: number;
  gzipBytes: number;
  composition: Composition;
  init: InitTime;
  /** The bare handler this function is compared with (the one with the same SDK clients). */
  baseline?: string;
  /** Bare handlers only: their bundle without the Lambda aliases. */
  defaultBuildBytes?: number;
  /** The bare handler's init, timed alternately with this function's. */
  baselineInit?: InitTime;
  /**
   * The same bare handler bundled without the Lambda aliases (the SDK's whole default credential
   * chain, as any handler gets it): the reference of issue 12's first figures.
   */
  defaultBuildBaselineInit?: InitTime;
  /**
   * The bare handler plus what every function keeps of Powertools (Logger, Metrics, the Tracer capturing
   * each client, as shared/runtime does): the floor of any function that keeps Powertools' behaviour.
   */
  powertoolsBaselineInit?: InitTime;
}

/** Output bytes by npm package (or "project code"), largest first. */
export type Composition = Array<{ from: string; bytes: number }>;

const packageOf = (input: string): string => {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match ? (match[1] as string) : 'project code';
};

const bundle = async (
  repoRoot: string,
  entry: string,
  outfile: string,
  options: { aliases: boolean } = { aliases: true },
): Promise<{ bytes: number; gzipBytes: number; composition: Composition }> => {
  const result = await build({
    ...lambdaBuildOptions(repoRoot),
    ...(!options.aliases && { alias: {} }),
    entryPoints: [entry],
    outfile,
    metafile: true,
    logLevel: 'error',
  });
  const code = readFileSync(outfile);
  const byPackage = new Map<string, number>();
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (file.endsWith('.map')) continue;
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytesInOutput);
    }
  }
  const composition = [...byPackage]
    .map(([from, bytes]) => ({ from, bytes }))
    .sort((a, b) => b.bytes - a.bytes);
  return { bytes: statSync(outfile).size, gzipBytes: gzipSync(code).length, composition };
};

/**
 * What a function needs in its environment to build its clients (never contacted here): the local
 * stack's own Lambda environment (local/lambda-env.ts), so a variable a new function requires is here
 * as soon as the local stack sets it, minus what only the local stack sets (the emulators' endpoints,
 * LOCAL_STACK), so that the clients are built as in AWS.
 */
const LOCAL_ONLY = [
  ENV.dynamoDbEndpoint,
  ENV.eventBridgeEndpoint,
  ENV.sesEndpoint,
  ENV.s3Endpoint,
  ENV.localStack,
  'AWS_DEFAULT_REGION',
];
const lambdaVariables = (): Record<string, string> => {
  const vars = lambdaEnvironment({
    tableName: 'bench',
    eventBusName: 'bench',
    dynamoDbEndpoint: '',
    eventBridgeEndpoint: '',
    sesEndpoint: '',
    sesFromAddress: 'no-reply@bench.local',
    sesConfigurationSet: 'bench',
    appBaseUrl: 'http://localhost:3000',
    idempotencyTableName: 'bench-idempotency',
    s3Endpoint: '',
    auditBucketName: 'bench-audit',
    exportBucketName: 'bench-exports',
    webSocketManagementEndpoint: 'https://bench.execute-api.eu-west-3.amazonaws.com/dev',
    webSocketAuthPools: {},
    attachmentBucketName: 'bench-attachments',
  });
  for (const name of LOCAL_ONLY) delete vars[name];
  return vars;
};

const CHILD_ENV = {
  ...lambdaVariables(),
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'eu-west-3',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  POWERTOOLS_SERVICE_NAME: 'patient-messaging',
  // As on every deployed function (infra/constructs/service-function.ts): source maps load at startup.
  NODE_OPTIONS: '--enable-source-maps',
  // What Lambda sets: the Powertools Tracer is on and captures the clients, as in AWS.
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  _HANDLER: 'index.handler',
  // Lambda's runtime does not print this Node 20 warning; keep the timing about our code.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

const importOnce = async (file: string): Promise<{ wallMs: number; cpuMs: number }> => {
  const script = [
    'const c=process.cpuUsage();const t=performance.now();',
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const w=performance.now()-t;const u=process.cpuUsage(c);',
    'process.stdout.write(JSON.stringify({wallMs:w,cpuMs:(u.user+u.system)/1000}));',
  ].join('');
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: CHILD_ENV,
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout) as { wallMs: number; cpuMs: number };
};

const medians = (samples: Array<{ wallMs: number; cpuMs: number }>): InitTime => ({
  wallMs: median(samples.map((s) => s.wallMs)),
  cpuMs: median(samples.map((s) => s.cpuMs)),
});

/** `runs` imports of each file, alternately, so that both see the same machine load. */
const initTimes = async (files: readonly string[], runs: number): Promise<InitTime[]> => {
  const samples = files.map(() => [] as Array<{ wallMs: number; cpuMs: number }>);
  for (let i = 0; i < runs; i += 1) {
    for (const [j, file] of files.entries()) samples[j]?.push(await importOnce(file));
  }
  return samples.map(medians);
};

export const functionNames = (functionsDir: string): string[] =>
  readdirSync(functionsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .filter((name) => {
      try {
        return statSync(join(functionsDir, name, 'handler.ts')).isFile();
      } catch {
        return false;
      }
    })
    .sort();

/** The SDK clients a function creates at cold start (shared/runtime/function-deps.ts and its adapters). */
export interface ClientSet {
  events: boolean;
  ses: boolean;
  /** The audit shipper and the export functions (the audit and export buckets). */
  s3: boolean;
}

export const clientsOf = (name: string): ClientSet => {
  const access = FUNCTIONS.find((f) => f.name === name)?.access;
  return {
    events: (access?.publishes?.length ?? 0) > 0,
    ses: access?.sendsEmail === true,
    s3: access?.archivesAudit === true || (access?.exportFiles?.length ?? 0) > 0,
  };
};

const bareName = ({ events, ses, s3 }: ClientSet) =>
  `bare handler (${['DynamoDB', ...(events ? ['EventBridge'] : []), ...(ses ? ['SESv2'] : []), ...(s3 ? ['S3'] : [])].join(' + ')})`;

export const benchBundles = async (options: {
  repoRoot: string;
  outDir: string;
  initRuns: number;
}): Promise<{ functions: BundleResult[]; bares: BundleResult[] }> => {
  const { repoRoot, outDir, initRuns } = options;
  const srcDir = join(outDir, 'entries');
  mkdirSync(srcDir, { recursive: true });

  // The bare handlers: the same SDK clients as a function, created at module load, and nothing else.
  const bares = new Map<
    string,
    BundleResult & { file: string; defaultBuildFile: string; powertoolsFile: string }
  >();
  const bareFor = async (clients: ClientSet) => {
    const name = bareName(clients);
    const known = bares.get(name);
    if (known) return known;
    const slug = `bare${clients.events ? '-events' : ''}${clients.ses ? '-ses' : ''}${clients.s3 ? '-s3' : ''}`;
    const entry = join(srcDir, `${slug}.ts`);
    const clientLines = [
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
      clients.events ? "import { EventBridgeClient } from '@aws-sdk/client-eventbridge';" : '',
      clients.ses ? "import { SESv2Client } from '@aws-sdk/client-sesv2';" : '',
      clients.s3 ? "import { S3Client } from '@aws-sdk/client-s3';" : '',
      "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';",
    ];
    const clientsObject = (wrap: (client: string) => string) => [
      'export const clients = {',
      `  db: DynamoDBDocumentClient.from(${wrap('new DynamoDBClient({})')}),`,
      clients.events ? `  events: ${wrap('new EventBridgeClient({})')},` : '',
      clients.ses ? `  ses: ${wrap('new SESv2Client({})')},` : '',
      clients.s3 ? `  s3: ${wrap('new S3Client({})')},` : '',
      '};',
    ];
    writeFileSync(
      entry,
      [
        ...clientLines,
        ...clientsObject((client) => client),
        "export const handler = async () => ({ statusCode: 200, body: '{}' });",
        '',
      ].join('\n'),
    );
    const powertoolsEntry = join(srcDir, `${slug}-powertools.ts`);
    writeFileSync(
      powertoolsEntry,
      [
        ...clientLines,
        "import { Logger } from '@aws-lambda-powertools/logger';",
        "import { Metrics } from '@aws-lambda-powertools/metrics';",
        "import { Tracer } from '@aws-lambda-powertools/tracer';",
        'const logger = new Logger();',
        "const metrics = new Metrics({ namespace: 'bench' });",
        'const tracer = new Tracer();',
        ...clientsObject((client) => `tracer.captureAWSv3Client(${client})`),
        'export const handler = async () => {',
        "  logger.info('bench');",
        "  metrics.addMetric('bench', 'Count', 1);",
        "  return { statusCode: 200, body: '{}' };",
        '};',
        '',
      ].join('\n'),
    );
    progress(`bundles: ${name}`);
    const file = join(outDir, slug, 'index.mjs');
    const size = await bundle(repoRoot, entry, file);
    const defaultBuildFile = join(outDir, `${slug}-default-build`, 'index.mjs');
    const defaultBuild = await bundle(repoRoot, entry, defaultBuildFile, { aliases: false });
    const powertoolsFile = join(outDir, `${slug}-powertools`, 'index.mjs');
    await bundle(repoRoot, powertoolsEntry, powertoolsFile);
    const [init, defaultBuildInit, powertoolsInit] = await initTimes(
      [file, defaultBuildFile, powertoolsFile],
      initRuns,
    );
    const result = {
      name,
      file,
      defaultBuildFile,
      powertoolsFile,
      ...size,
      init: init as InitTime,
      defaultBuildBytes: defaultBuild.bytes,
      defaultBuildBaselineInit: defaultBuildInit as InitTime,
      powertoolsBaselineInit: powertoolsInit as InitTime,
    };
    bares.set(name, result);
    return result;
  };

  const functions: BundleResult[] = [];
  const names = functionNames(join(repoRoot, 'functions'));
  for (const [i, name] of names.entries()) {
    const bare = await bareFor(clientsOf(name));
    progress(`bundles: ${name} (${i + 1}/${names.length})`);
    const file = join(outDir, name, 'index.mjs');
    const size = await bundle(repoRoot, join(repoRoot, 'functions', name, 'handler.ts'), file);
    // The handler builds its dependencies at import (cold start): importing the bundle is the whole init.
    const [init, baselineInit, defaultBuildBaselineInit, powertoolsBaselineInit] = await initTimes(
      [file, bare.file, bare.defaultBuildFile, bare.powertoolsFile],
      initRuns,
    );
    functions.push({
      name,
      ...size,
      init: init as InitTime,
      baseline: bare.name,
      baselineInit: baselineInit as InitTime,
      defaultBuildBaselineInit: defaultBuildBaselineInit as InitTime,
      powertoolsBaselineInit: powertoolsBaselineInit as InitTime,
    });
  }
  return {
    functions,
    bares: [...bares.values()].map(
      ({ file: _file, defaultBuildFile: _default, powertoolsFile: _powertools, ...bare }) => bare,
    ),
  };
};
