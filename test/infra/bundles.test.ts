/**
 * What each Lambda bundles, built with the deployed esbuild options
 * (infra/bundling.ts, which the CDK wrapper passes to NodejsFunction). These
 * guard the bundle diets of issue 7 (every function was ~1,070 KB: all of zod's
 * locales and the SESv2 client everywhere) and issue 12 (ADR 0006: ~700 KB, the
 * SDK's whole credential chain, zod's classic API and all 14 repositories everywhere);
 * `npm run bench` shows the sizes and init times.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { BUNDLE_LIMIT_BYTES, lambdaBuildOptions } from '../../infra/bundling.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FUNCTIONS_DIR = join(REPO_ROOT, 'functions');

/**
 * The functions that send email: declared `sendsEmail` (the only ones granted ses:SendEmail),
 * their handler passes shared/runtime/ses-mailer.ts.
 */
const EMAIL_FUNCTIONS = FUNCTIONS.filter((f) => f.access.sendsEmail).map((f) => f.name);

const names = readdirSync(FUNCTIONS_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .filter((name) => {
    try {
      return statSync(join(FUNCTIONS_DIR, name, 'handler.ts')).isFile();
    } catch {
      return false;
    }
  })
  .sort();

const inputsOf = new Map<string, string[]>();
const bytesOf = new Map<string, number>();

beforeAll(async () => {
  // One esbuild run for all entry points (no code splitting): each output is that function's bundle,
  // and the shared modules are parsed once. No source map: it changes nothing in index.mjs but a comment.
  const result = await build({
    ...lambdaBuildOptions(REPO_ROOT),
    sourcemap: false,
    entryPoints: Object.fromEntries(names.map((name) => [name, join(FUNCTIONS_DIR, name, 'handler.ts')])),
    write: false,
    outdir: 'bundles',
    outExtension: { '.js': '.mjs' },
    metafile: true,
    logLevel: 'silent',
  });
  for (const [file, output] of Object.entries((result.metafile as Metafile).outputs)) {
    const name = /([^/]+)\.mjs$/.exec(file)?.[1];
    if (!name || !output.entryPoint) continue;
    bytesOf.set(name, output.bytes);
    inputsOf.set(
      name,
      Object.entries(output.inputs)
        .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
        .map(([input]) => input),
    );
  }
}, 180_000);

const bundles = (name: string, pattern: RegExp) => (inputsOf.get(name) ?? []).some((i) => pattern.test(i));

describe('Lambda bundles', () => {
  it('found every function', () => {
    expect(names.length).toBeGreaterThan(30);
    expect(inputsOf.size).toBe(names.length);
  });

  it.each(names)(`%s: at most ${BUNDLE_LIMIT_BYTES / 1024} KB minified`, (name) => {
    expect(bytesOf.get(name)).toBeGreaterThan(100 * 1024);
    expect(bytesOf.get(name)).toBeLessThanOrEqual(BUNDLE_LIMIT_BYTES);
  });

  it.each(names)('%s: one copy of each package', (name) => {
    // A package nested in another's node_modules is a second version of it (e.g. two Powertools commons).
    const roots = new Map<string, Set<string>>();
    for (const input of inputsOf.get(name) ?? []) {
      const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
      if (!match) continue;
      const [, root, pkg] = match as unknown as [string, string, string];
      roots.set(pkg, (roots.get(pkg) ?? new Set()).add(root));
    }
    const duplicated = [...roots]
      .filter(([, where]) => where.size > 1)
      .map(([pkg, where]) => [pkg, [...where]]);
    expect(duplicated).toEqual([]);
  });

  it.each(names)('%s: traced by the Powertools Tracer (with the X-Ray SDK)', (name) => {
    expect(bundles(name, /@aws-lambda-powertools\/tracer\//)).toBe(true);
    expect(bundles(name, /node_modules\/aws-xray-sdk-core\//)).toBe(true);
  });

  it.each(names)('%s: of the credential chain only its environment link', (name) => {
    const inputs = inputsOf.get(name) ?? [];
    expect(
      inputs.filter((i) =>
        /@aws-sdk\/(credential-provider-(node|ini|sso|process|web-identity|http|login)|nested-clients|token-providers)\/|@smithy\/credential-provider-imds\//.test(
          i,
        ),
      ),
    ).toEqual([]);
    expect(bundles(name, /@aws-sdk\/credential-provider-env\//)).toBe(true);
  });

  it.each(names)(
    '%s: no event-stream support, and of semver only `gte` (infra/bundling.ts aliases)',
    (name) => {
      const inputs = inputsOf.get(name) ?? [];
      expect(inputs.filter((i) => /@smithy\/core\/dist-es\/submodules\/event-streams\//.test(i))).toEqual([]);
      expect(inputs.filter((i) => /node_modules\/semver\/(classes\/range|ranges|index)/.test(i))).toEqual([]);
    },
  );

  it.each(names)('%s: zod mini only, with no locale but English (shared/validation.ts)', (name) => {
    const inputs = inputsOf.get(name) ?? [];
    expect(
      inputs.filter((i) => /zod\/v4\/classic\//.test(i)),
      "an `import … from 'zod'` (the classic API, ~95 KB): import * as z from shared/validation.ts",
    ).toEqual([]);
    expect(
      inputs.filter((i) => /zod\/v4\/locales\/(?!en\.js)/.test(i)),
      'a namespace of zod kept whole (e.g. `export { z }` or `z.locales`) somewhere in its imports',
    ).toEqual([]);
    expect(bundles(name, /zod\/v4\/locales\/en\.js/)).toBe(true);
  });

  it.each(names)('%s: no response schema or example (only their types reach handlers)', (name) => {
    const inputs = inputsOf.get(name) ?? [];
    expect(
      inputs.filter((i) => /shared\/http\/view-(schemas|examples)\.ts$/.test(i)),
      'response schemas are for the OpenAPI generator and the tests: `import type` them (shared/http/response-schemas.ts)',
    ).toEqual([]);
  });

  it('the email senders are the notification functions', () => {
    expect(new Set(EMAIL_FUNCTIONS)).toEqual(
      new Set(['notify-patient', 'notify-practitioner', 'untreated-sweep']),
    );
  });

  it.each(names)('%s: the SESv2 client only if it is declared an email sender', (name) => {
    expect(bundles(name, /@aws-sdk\/client-sesv2\//)).toBe(EMAIL_FUNCTIONS.includes(name));
  });

  it.each(names)('%s: the EventBridge client only if it is declared to publish', (name) => {
    const publishes = FUNCTIONS.some((f) => f.name === name && (f.access.publishes?.length ?? 0) > 0);
    expect(bundles(name, /@aws-sdk\/client-eventbridge\//)).toBe(publishes);
  });

  it.each(names)(
    '%s: no client of the ops tools (SQS, Lambda, DynamoDB Streams: npm run stream:redrive)',
    (name) => {
      expect(bundles(name, /@aws-sdk\/client-(sqs|lambda|dynamodb-streams)\//)).toBe(false);
    },
  );

  it.each(names)(
    '%s: Powertools Idempotency (and its JMESPath) only if it is an idempotent route',
    (name) => {
      const idempotent = FUNCTIONS.some(
        (f) => f.name === name && f.trigger === 'http' && f.idempotent === true,
      );
      expect(bundles(name, /@aws-lambda-powertools\/idempotency\//)).toBe(idempotent);
      expect(bundles(name, /@aws-lambda-powertools\/jmespath\//)).toBe(idempotent);
    },
  );
});
