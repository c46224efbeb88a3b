/**
 * Tokens for tests, signed by a per-test-file key that startTestApi() also trusts
 * (same issuer and audience), so no HTTP round trip is needed:
 *
 *   tokenFor(sub: string, role: 'practitioner' | 'patient', options?): Promise<string>
 *     options: { expiresInSeconds?: number; claims?: JWTPayload }   (craft expired / odd tokens)
 *   testAuth(): Promise<LocalAuth>      the LocalAuth the test API uses
 *   testSigningKey(): Promise<SigningKey>
 *   TEST_ISSUER, TEST_AUDIENCE (the patients' app client), TEST_AUDIENCES (both pools')
 */
import type { JWTPayload } from 'jose';
import {
  createLocalAuth,
  generateSigningKey,
  LOCAL_AUDIENCES,
  type LocalAuth,
  type SigningKey,
} from '../../local/auth.ts';
import type { Role } from '../../shared/function-model/declaration.ts';

export const TEST_ISSUER = 'http://localhost/local';
export const TEST_AUDIENCES = LOCAL_AUDIENCES;
export const TEST_AUDIENCE = TEST_AUDIENCES.patients;

let state: Promise<{ key: SigningKey; auth: LocalAuth }> | undefined;

const testState = () => {
  state ??= generateSigningKey().then(({ key }) => ({
    key,
    auth: createLocalAuth({ key, issuer: TEST_ISSUER, audiences: TEST_AUDIENCES }),
  }));
  return state;
};

export const testSigningKey = async (): Promise<SigningKey> => (await testState()).key;
export const testAuth = async (): Promise<LocalAuth> => (await testState()).auth;

export const tokenFor = async (
  sub: string,
  role: Role,
  options: { expiresInSeconds?: number; claims?: JWTPayload } = {},
): Promise<string> => (await testAuth()).issue({ sub, role }, options);
