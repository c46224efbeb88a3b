/**
 * What Lambda bundles use instead of the SDK's default credential chain
 * (infra/bundling.ts LAMBDA_ALIASES, ADR 0006): the role's credentials from the
 * environment, as Lambda sets them, and a refusal when they are missing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defaultProvider } from '../../shared/runtime/lambda-credentials.ts';

const KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));

afterEach(() => {
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('Lambda credentials', () => {
  it('are the execution role’s, from the environment', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'ASIAEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    process.env.AWS_SESSION_TOKEN = 'token';
    await expect(defaultProvider()()).resolves.toMatchObject({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
  });

  it('refuse when the environment has none (no other source is tried)', async () => {
    for (const k of KEYS) delete process.env[k];
    await expect(defaultProvider()()).rejects.toThrow(/environment variable credentials/);
  });
});
