/**
 * Verification of a Cognito ID token for one user pool, with the rules of the HTTP API's JWT authorizers
 * (docs/adr/0009-professional-accounts.md): RS256 signature against the pool's JWKS, exp/nbf, the pool's
 * issuer and app client (`aud`), then `token_use: "id"` (an access token of the same client would pass
 * the authorizer but does not name the role). The local stack's authorizer (local/auth.ts) and the
 * WebSocket `$connect` authorizer (functions/realtime-authorizer) both call it.
 */
import { type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { ACCEPTED_TOKEN_USE } from '../function-model/declaration.ts';

/** Why a token was refused; the message is safe to return to the caller. */
export class Unauthenticated extends Error {
  override readonly name = 'Unauthenticated';
}

export interface PoolVerification {
  issuer: string;
  /** The pool's app client id. */
  audience: string;
}

export const ID_TOKEN_ALGORITHM = 'RS256';

export const verifyIdToken = async (
  token: string,
  keys: JWTVerifyGetKey,
  pool: PoolVerification,
): Promise<JWTPayload> => {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: pool.issuer,
      audience: pool.audience,
      algorithms: [ID_TOKEN_ALGORITHM],
    }));
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'ERR_JWT_INVALID';
    throw new Unauthenticated(`Invalid token (${code.replace(/^ERR_/, '').toLowerCase()})`);
  }
  if (payload.token_use !== ACCEPTED_TOKEN_USE) throw new Unauthenticated('Invalid token (token_use)');
  return payload;
};
