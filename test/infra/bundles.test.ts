/**
 * What each Lambda bundles, checked with esbuild as the CDK wrapper runs it
 * (infra/constructs/service-function.ts). These guard the bundle diet of issue 7:
 * every function was ~1,070 KB because each one carried all of zod's locales and
 * the SESv2 client; `npm run bench` shows the sizes.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';

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

beforeAll(async () => {
  // One esbuild run for all entry points (no code splitting): each output is that function's bundle,
  // and the shared modules are parsed once.
  const result = await build({
    entryPoints: Object.fromEntries(names.map((name) => [name, join(FUNCTIONS_DIR, name, 'handler.ts')])),
    bundle: true,
    write: false,
    outdir: 'bundles',
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // Not minified: what is included does not depend on it, and it is faster.
    treeShaking: true,
    mainFields: ['module', 'main'],
    metafile: true,
    logLevel: 'silent',
  });
  for (const [file, output] of Object.entries((result.metafile as Metafile).outputs)) {
    const name = /([^/]+)\.js$/.exec(file)?.[1];
    if (!name || !output.entryPoint) continue;
    inputsOf.set(
      name,
      Object.entries(output.inputs)
        .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
        .map(([input]) => input),
    );
  }
}, 120_000);

const bundles = (name: string, pattern: RegExp) => (inputsOf.get(name) ?? []).some((i) => pattern.test(i));

describe('Lambda bundles', () => {
  it('found every function', () => {
    expect(names.length).toBeGreaterThan(30);
    expect(inputsOf.size).toBe(names.length);
  });

  it.each(names)('%s: no zod locale but English (import * as z from "zod")', (name) => {
    const locales = (inputsOf.get(name) ?? []).filter((i) => /zod\/v4\/locales\/(?!en\.js)/.test(i));
    expect(locales, 'a named `{ z }` import of zod somewhere in its imports').toEqual([]);
  });

  it('the email senders are the notification functions', () => {
    expect(new Set(EMAIL_FUNCTIONS)).toEqual(
      new Set(['notify-patient', 'notify-practitioner', 'untreated-sweep']),
    );
  });

  it.each(names)('%s: the SESv2 client only if it is declared an email sender', (name) => {
    expect(bundles(name, /@aws-sdk\/client-sesv2\//)).toBe(EMAIL_FUNCTIONS.includes(name));
  });

  it.each(names)('%s: Powertools Idempotency only if it is an idempotent route', (name) => {
    const idempotent = FUNCTIONS.some(
      (f) => f.name === name && f.trigger === 'http' && f.idempotent === true,
    );
    expect(bundles(name, /@aws-lambda-powertools\/idempotency\//)).toBe(idempotent);
  });
});
