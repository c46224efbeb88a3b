import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  createLocalAuth,
  generateSigningKey,
  LOCAL_AUDIENCE,
  LOCAL_AUDIENCES,
  loadOrCreateSigningKey,
  tokenRequestSchema,
  Unauthenticated,
} from '../../local/auth.ts';

const issuer = 'http://localhost:3000/local';

describe('local JWT authorizer', async () => {
  const { key } = await generateSigningKey();
  const auth = createLocalAuth({ key, issuer });
  const other = createLocalAuth({ key: (await generateSigningKey()).key, issuer });

  it("issues RS256 ID tokens with the Cognito-like claims, for the professionals' app client, valid 15 minutes", async () => {
    const token = await auth.issue({ sub: 'dr-1', role: 'practitioner' });
    const header = decodeProtectedHeader(token);
    const claims = decodeJwt(token);
    expect(header).toMatchObject({ alg: 'RS256', kid: key.kid });
    expect(claims).toMatchObject({
      sub: 'dr-1',
      'custom:role': 'practitioner',
      iss: issuer,
      aud: LOCAL_AUDIENCES.professionals,
      token_use: 'id',
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(15 * 60);
    await expect(auth.verifyAuthorizationHeader(`Bearer ${token}`, 'professionals')).resolves.toMatchObject({
      sub: 'dr-1',
    });
  });

  it("issues patients' tokens for the patients' app client, valid one hour", async () => {
    const claims = decodeJwt(await auth.issue({ sub: 'p-1', role: 'patient' }));
    expect(claims).toMatchObject({ 'custom:role': 'patient', aud: LOCAL_AUDIENCE, token_use: 'id' });
    expect(LOCAL_AUDIENCE).not.toBe(LOCAL_AUDIENCES.professionals);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
  });

  it('puts email / email_verified in the token when an email is asked for, verified unless said otherwise', async () => {
    expect(decodeJwt(await auth.issue({ sub: 'p-1', role: 'patient' }))).not.toHaveProperty('email');
    expect(decodeJwt(await auth.issue({ sub: 'p-1', role: 'patient', email: 'a@b.example' }))).toMatchObject({
      email: 'a@b.example',
      email_verified: true,
    });
    expect(
      decodeJwt(
        await auth.issue({ sub: 'p-1', role: 'patient', email: 'a@b.example', email_verified: false }),
      ),
    ).toMatchObject({ email: 'a@b.example', email_verified: false });
  });

  it('refuses a token of the other pool, even after it was accepted for its own (the cache is per pool)', async () => {
    const patient = await auth.issue({ sub: 'p-1', role: 'patient' });
    const doctor = await auth.issue({ sub: 'dr-1', role: 'practitioner' });
    await expect(auth.verifyAuthorizationHeader(patient, 'patients')).resolves.toBeTruthy();
    await expect(auth.verifyAuthorizationHeader(doctor, 'professionals')).resolves.toBeTruthy();
    await expect(auth.verifyAuthorizationHeader(patient, 'professionals')).rejects.toThrow(
      /claim_validation_failed/,
    );
    await expect(auth.verifyAuthorizationHeader(doctor, 'patients')).rejects.toThrow(
      /claim_validation_failed/,
    );
  });

  it('accepts the token with or without the Bearer prefix, like the HTTP API authorizer', async () => {
    const token = await auth.issue({ sub: 'p-1', role: 'patient' });
    await expect(auth.verifyAuthorizationHeader(token, 'patients')).resolves.toMatchObject({ sub: 'p-1' });
    await expect(auth.verifyAuthorizationHeader(`bearer ${token}`, 'patients')).resolves.toMatchObject({
      sub: 'p-1',
    });
  });

  it('a token verified once is refused once it expires (only its signature check is remembered)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const token = await auth.issue({ sub: 'p-2', role: 'patient' }, { expiresInSeconds: 60 });
      await expect(auth.verifyAuthorizationHeader(token, 'patients')).resolves.toMatchObject({ sub: 'p-2' });
      vi.advanceTimersByTime(61_000);
      await expect(auth.verifyAuthorizationHeader(token, 'patients')).rejects.toThrow(/expired/);
    } finally {
      vi.useRealTimers();
    }
  });

  it.each([
    ['no header', async () => undefined, /Missing Authorization/],
    ['an empty bearer', async () => 'Bearer ', /Missing bearer token/],
    ['garbage', async () => 'Bearer abc.def.ghi', /Invalid token/],
    [
      'an expired token',
      async () => `Bearer ${await auth.issue({ sub: 'a', role: 'patient' }, { expiresInSeconds: -60 })}`,
      /expired/,
    ],
    [
      'another audience',
      async () =>
        `Bearer ${await auth.issue({ sub: 'a', role: 'patient' }, { claims: { aud: 'someone-else' } })}`,
      /claim_validation_failed/,
    ],
    [
      'an access token',
      async () =>
        `Bearer ${await auth.issue({ sub: 'a', role: 'patient' }, { claims: { token_use: 'access' } })}`,
      /token_use/,
    ],
    [
      'a token without token_use',
      async () =>
        `Bearer ${await auth.issue({ sub: 'a', role: 'patient' }, { claims: { token_use: undefined } })}`,
      /token_use/,
    ],
    [
      'another issuer',
      async () =>
        `Bearer ${await auth.issue({ sub: 'a', role: 'patient' }, { claims: { iss: 'https://evil.example' } })}`,
      /claim_validation_failed/,
    ],
    [
      'a token not yet valid',
      async () =>
        `Bearer ${await auth.issue({ sub: 'a', role: 'patient' }, { claims: { nbf: Math.floor(Date.now() / 1000) + 600 } })}`,
      /claim_validation_failed/,
    ],
    [
      'another key',
      async () => `Bearer ${await other.issue({ sub: 'a', role: 'patient' })}`,
      /Invalid token/,
    ],
    [
      'alg none',
      async () =>
        `Bearer ${new UnsecuredJWT({ sub: 'a', iss: issuer, aud: LOCAL_AUDIENCE }).setExpirationTime('1h').encode()}`,
      /Invalid token/,
    ],
    [
      'HS256 signed with the public modulus',
      async () =>
        `Bearer ${await new SignJWT({ sub: 'a', iss: issuer, aud: LOCAL_AUDIENCE })
          .setProtectedHeader({ alg: 'HS256', kid: key.kid })
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(String(key.publicJwk.n)))}`,
      /Invalid token/,
    ],
  ])('refuses %s', async (_, header, message) => {
    const error = await auth.verifyAuthorizationHeader(await header(), 'patients').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Unauthenticated);
    expect((error as Error).message).toMatch(message);
  });

  it('publishes only the public key in the JWKS', () => {
    expect(auth.jwks.keys).toHaveLength(1);
    expect(auth.jwks.keys[0]).toEqual({
      kty: 'RSA',
      n: key.publicJwk.n,
      e: key.publicJwk.e,
      kid: key.kid,
      alg: 'RS256',
      use: 'sig',
    });
    expect(auth.jwks.keys[0]).not.toHaveProperty('d');
  });
});

describe('signing key persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-auth-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the key once (mode 0600) and reloads the same one, so tokens survive restarts', async () => {
    const file = join(dir, 'jwt', 'signing-key.json');
    const first = await loadOrCreateSigningKey(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = await loadOrCreateSigningKey(file);
    expect(second.kid).toBe(first.kid);
    const token = await createLocalAuth({ key: first, issuer }).issue({ sub: 'x', role: 'patient' });
    await expect(
      createLocalAuth({ key: second, issuer }).verifyAuthorizationHeader(token, 'patients'),
    ).resolves.toBeTruthy();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ kid: first.kid, alg: 'RS256' });
  });
});

describe('POST /local/token body', () => {
  it.each([
    [{ sub: 'dr-1', role: 'practitioner' }, true],
    [{ sub: 'A_b-9', role: 'patient' }, true],
    [{ sub: 'x'.repeat(128), role: 'patient' }, true],
    [{ sub: 'x'.repeat(129), role: 'patient' }, false],
    [{ sub: '', role: 'patient' }, false],
    [{ sub: 'a b', role: 'patient' }, false],
    [{ sub: 'é', role: 'patient' }, false],
    [{ sub: 'a', role: 'admin' }, false],
    [{ sub: 'a' }, false],
    [{ sub: 'a', role: 'patient', extra: 1 }, false],
    [{ sub: 'a', role: 'patient', email: 'a@b.example' }, true],
    [{ sub: 'a', role: 'patient', email: 'a@b.example', email_verified: false }, true],
    [{ sub: 'a', role: 'patient', email: 'not an address' }, false],
    [{ sub: 'a', role: 'patient', email: `${'a'.repeat(250)}@b.example` }, false],
    [{ sub: 'a', role: 'patient', email: 'a@b.example', email_verified: 'true' }, false],
    [{ sub: 1, role: 'patient' }, false],
    ['dr-1', false],
  ])('%j valid: %s', (body, valid) => {
    expect(tokenRequestSchema.safeParse(body).success).toBe(valid);
  });
});
