/**
 * Bundle size per function and handler init time in a fresh process, next to a
 * bare handler that only creates the same SDK clients.
 *
 * Bundles are built the way infra/constructs/service-function.ts has CDK build
 * them (esbuild: node22, ESM, minified, tree-shaken, AWS SDK bundled, the same
 * require() banner), into .bench/bundles/. Init time = a fresh `node` importing
 * the function's bundle, which builds its dependencies at cold start (the
 * DynamoDB document and EventBridge clients; plus the SESv2 client for the
 * functions declared `sendsEmail`), next to a bare handler creating the same
 * clients, so both sides create the same clients.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { median, progress } from './report.ts';

const run = promisify(execFile);

export interface BundleResult {
  name: string;
  bytes: number;
  gzipBytes: number;
  composition: Composition;
  /** Median ms to import the init probe in a fresh node process. */
  initMs: number;
  /** The bare handler this function is compared with (the one with the same SDK clients). */
  baseline?: string;
}

const BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** Output bytes by npm package (or "project" for our own code), largest first. */
export type Composition = Array<{ from: string; bytes: number }>;

const packageOf = (input: string): string => {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match ? (match[1] as string) : 'project code';
};

const bundle = async (
  entry: string,
  outfile: string,
): Promise<{ bytes: number; gzipBytes: number; composition: Composition }> => {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    treeShaking: true,
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    metafile: true,
    logLevel: 'error',
  });
  const code = readFileSync(outfile);
  const byPackage = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytesInOutput);
    }
  }
  const composition = [...byPackage]
    .map(([from, bytes]) => ({ from, bytes }))
    .sort((a, b) => b.bytes - a.bytes);
  return { bytes: statSync(outfile).size, gzipBytes: gzipSync(code).length, composition };
};

/** What a function needs in its environment to build its clients (never contacted here). */
const CHILD_ENV = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'eu-west-3',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  TABLE_NAME: 'bench',
  EVENT_BUS_NAME: 'bench',
  SES_FROM_ADDRESS: 'no-reply@bench.local',
  APP_BASE_URL: 'http://localhost:3000',
  CURSOR_SIGNING_KEY: 'bench-only-cursor-signing-key-0123456789',
  POWERTOOLS_SERVICE_NAME: 'patient-messaging',
  // Lambda's runtime does not print this Node 20 warning; keep the timing about our code.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

const initTime = async (file: string, runs: number): Promise<number> => {
  const script = `const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});process.stdout.write(String(performance.now()-t));`;
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: CHILD_ENV });
    samples.push(Number(stdout));
  }
  return median(samples);
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

export const benchBundles = async (options: {
  repoRoot: string;
  outDir: string;
  initRuns: number;
}): Promise<{ functions: BundleResult[]; bares: BundleResult[] }> => {
  const { repoRoot, outDir, initRuns } = options;
  const srcDir = join(outDir, 'entries');
  mkdirSync(srcDir, { recursive: true });

  // The bare handlers: the same SDK clients as a function, created at module load, and nothing else.
  const bareHandler = async (name: string, withSes: boolean): Promise<BundleResult> => {
    const entry = join(srcDir, `${name}.ts`);
    writeFileSync(
      entry,
      [
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
        "import { EventBridgeClient } from '@aws-sdk/client-eventbridge';",
        withSes ? "import { SESv2Client } from '@aws-sdk/client-sesv2';" : '',
        "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';",
        'export const clients = {',
        '  db: DynamoDBDocumentClient.from(new DynamoDBClient({})),',
        '  events: new EventBridgeClient({}),',
        withSes ? '  ses: new SESv2Client({}),' : '',
        '};',
        "export const handler = async () => ({ statusCode: 200, body: '{}' });",
        '',
      ].join('\n'),
    );
    progress(`bundles: ${name}`);
    const out = join(outDir, name, 'index.mjs');
    const size = await bundle(entry, out);
    return {
      name: withSes
        ? 'bare handler (DynamoDB + EventBridge + SESv2 clients)'
        : 'bare handler (DynamoDB + EventBridge clients)',
      ...size,
      initMs: await initTime(out, initRuns),
    };
  };
  const bare = await bareHandler('bare-handler', false);
  const bareWithSes = await bareHandler('bare-handler-ses', true);

  const functions: BundleResult[] = [];
  const names = functionNames(join(repoRoot, 'functions'));
  for (const [i, name] of names.entries()) {
    progress(`bundles: ${name} (${i + 1}/${names.length})`);
    const handlerFile = join(repoRoot, 'functions', name, 'handler.ts');
    const size = await bundle(handlerFile, join(outDir, name, 'index.mjs'));
    // The handler builds its dependencies at import (cold start): importing the bundle is the whole init.
    const sendsEmail = FUNCTIONS.find((f) => f.name === name)?.access.sendsEmail === true;
    functions.push({
      name,
      ...size,
      initMs: await initTime(join(outDir, name, 'index.mjs'), initRuns),
      baseline: (sendsEmail ? bareWithSes : bare).name,
    });
  }
  return { functions, bares: [bare, bareWithSes] };
};
