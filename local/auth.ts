/**
 * Local stand-in for Cognito + the HTTP API JWT authorizers.
 *
 * Issues RS256 ID-style tokens (sub, custom:role, iss, aud, iat, exp, token_use, and
 * email/email_verified when an email is asked for)
 * and verifies them the way the authorizers do: signature against the JWKS, alg
 * RS256 only, exp/nbf/iat, iss, and the audience of the route's user pool (AWS
 * has two pools, each with its app client and authorizer: docs/adr/0009). Here
 * one issuer signs for both and the audience (the app client id) tells them
 * apart: a token is issued for the pool of its role, and a practitioner route
 * refuses a patient-pool token with 401 like the professionals' authorizer.
 * `token_use` must be "id" (an access token does not name the role). Roles are
 * NOT checked here: the HTTP API authorizer cannot check a custom claim either,
 * so handlers must (403 FORBIDDEN).
 *
 * The key pair is generated once and, when `keyFile` is given, persisted there
 * (mode 0600) so tokens survive restarts.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type CryptoKey,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { z } from 'zod';
import {
  ACCEPTED_TOKEN_USE,
  TOKEN_MINUTES,
  USER_POOL_OF_ROLE,
  type UserPoolName,
} from '../shared/function-model/declaration.ts';
import { Unauthenticated, verifyIdToken } from '../shared/runtime/id-token.ts';

/** The local "app client ids", one per user pool. */
export const LOCAL_AUDIENCES: Readonly<Record<UserPoolName, string>> = {
  patients: 'patient-messaging-local',
  professionals: 'patient-messaging-local-professionals',
};
/** The patients' one (kept under its old name: tests and clients that only speak for patients). */
export const LOCAL_AUDIENCE = LOCAL_AUDIENCES.patients;
const ALG = 'RS256';

export const tokenRequestSchema = z.strictObject({
  sub: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_-]+$/, 'only letters, digits, "_" and "-"'),
  role: z.enum(['practitioner', 'assistant', 'patient']),
  /**
   * The account's address, as the pools put it in ID tokens (`email`,
   * `email_verified`). The pools verify it at sign-up (autoVerify), so it is
   * verified unless `email_verified: false` says otherwise (an address changed
   * and not yet confirmed). Patient routes record a verified one (ADR 0010).
   */
  email: z.email().max(254).optional(),
  email_verified: z.boolean().optional(),
});
export type TokenRequest = z.infer<typeof tokenRequestSchema>;

/** As in the pools (TOKEN_MINUTES): a professional's token expires after 15 minutes locally too. */
export const tokenTtlSeconds = (role: TokenRequest['role']): number =>
  TOKEN_MINUTES[USER_POOL_OF_ROLE[role]] * 60;

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

interface StoredKey {
  kid: string;
  alg: typeof ALG;
  privateJwk: JWK;
}

const publicPart = (jwk: JWK): JWK => ({ kty: jwk.kty, n: jwk.n, e: jwk.e });

export const generateSigningKey = async (): Promise<{ key: SigningKey; stored: StoredKey }> => {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const kid = randomUUID();
  return {
    key: { kid, privateKey, publicJwk: { ...publicPart(privateJwk), kid, alg: ALG, use: 'sig' } },
    stored: { kid, alg: ALG, privateJwk },
  };
};

const importStoredKey = async (stored: StoredKey): Promise<SigningKey> => ({
  kid: stored.kid,
  privateKey: (await importJWK(stored.privateJwk, ALG)) as CryptoKey,
  publicJwk: { ...publicPart(stored.privateJwk), kid: stored.kid, alg: ALG, use: 'sig' },
});

/** Loads the key pair from `keyFile`, creating and saving it on first use. */
export const loadOrCreateSigningKey = async (keyFile: string): Promise<SigningKey> => {
  if (existsSync(keyFile)) {
    try {
      return await importStoredKey(JSON.parse(readFileSync(keyFile, 'utf8')) as StoredKey);
    } catch (error) {
      throw new Error(`Unreadable local signing key ${keyFile}; delete it to generate a new one`, {
        cause: error,
      });
    }
  }
  const { key, stored } = await generateSigningKey();
  mkdirSync(dirname(keyFile), { recursive: true });
  writeFileSync(keyFile, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  return key;
};

export { Unauthenticated };

/** Verified tokens remembered (the oldest forgotten first). */
const MAX_VERIFIED_TOKENS = 1_000;

export interface LocalAuth {
  issuer: string;
  audiences: Readonly<Record<UserPoolName, string>>;
  jwks: JSONWebKeySet;
  /**
   * Signs a token for the pool of the role (its audience); `claims` overrides or
   * adds claims (tests craft bad tokens with it).
   */
  issue(request: TokenRequest, options?: { expiresInSeconds?: number; claims?: JWTPayload }): Promise<string>;
  /** Verifies an `Authorization` header value for a route of `pool`; throws Unauthenticated. */
  verifyAuthorizationHeader(header: string | undefined, pool: UserPoolName): Promise<JWTPayload>;
}

export const createLocalAuth = (options: {
  key: SigningKey;
  issuer: string;
  audiences?: Readonly<Record<UserPoolName, string>>;
}): LocalAuth => {
  const { key, issuer } = options;
  const audiences = options.audiences ?? LOCAL_AUDIENCES;
  const jwks: JSONWebKeySet = { keys: [key.publicJwk] };
  const keySet = createLocalJWKSet(jwks);
  // A token whose signature, issuer, audience and type were verified once (for a pool) is the same token
  // next time: only its times are checked again (an RSA verification is most of a request's local overhead).
  const verified = new Map<string, JWTPayload>();
  const stillValid = (payload: JWTPayload) => {
    const now = Date.now() / 1000;
    return (
      (payload.exp === undefined || payload.exp > now) && (payload.nbf === undefined || payload.nbf <= now)
    );
  };
  const remember = (token: string, payload: JWTPayload) => {
    if (verified.size >= MAX_VERIFIED_TOKENS) verified.delete(verified.keys().next().value as string);
    verified.set(token, payload);
  };

  return {
    issuer,
    audiences,
    jwks,
    issue: async (request, issueOptions = {}) => {
      const now = Math.floor(Date.now() / 1000);
      const payload: JWTPayload = {
        sub: request.sub,
        'custom:role': request.role,
        token_use: ACCEPTED_TOKEN_USE,
        auth_time: now,
        iss: issuer,
        aud: audiences[USER_POOL_OF_ROLE[request.role]],
        iat: now,
        exp: now + (issueOptions.expiresInSeconds ?? tokenTtlSeconds(request.role)),
        jti: randomUUID(),
        ...(request.email !== undefined && {
          email: request.email,
          email_verified: request.email_verified ?? true,
        }),
        ...issueOptions.claims,
      };
      return new SignJWT(payload)
        .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'JWT' })
        .sign(key.privateKey);
    },
    verifyAuthorizationHeader: async (header, pool) => {
      if (!header) throw new Unauthenticated('Missing Authorization header');
      // The HTTP API authorizer accepts the token with or without the "Bearer " prefix.
      const token = header.replace(/^Bearer\s+/i, '').trim();
      if (!token) throw new Unauthenticated('Missing bearer token');
      const cacheKey = `${pool} ${token}`;
      const known = verified.get(cacheKey);
      if (known && stillValid(known)) return known;
      const payload = await verifyIdToken(token, keySet, { issuer, audience: audiences[pool] });
      remember(cacheKey, payload);
      return payload;
    },
  };
};
