import { createRemoteJWKSet, decodeJwt } from 'jose';
import { REALTIME_ENV, requireEnv } from '../../shared/config.ts';
import { USER_POOL_OF_ROLE, type UserPoolName } from '../../shared/function-model/declaration.ts';
import { Unauthenticated, verifyIdToken } from '../../shared/runtime/id-token.ts';
import { type WebSocketCaller, webSocketAuthorizerHandler } from '../../shared/websocket-handlers.ts';
import { declaration } from './function.ts';

interface PoolConfig {
  issuer: string;
  audience: string;
  jwksUrl: string;
}

const pools = JSON.parse(requireEnv(REALTIME_ENV.authPools)) as Record<UserPoolName, PoolConfig>;
// The keys of each pool, fetched once and cached by jose (refetched when an unknown `kid` shows up).
const keySets = new Map(
  Object.entries(pools).map(([name, pool]) => [name, createRemoteJWKSet(new URL(pool.jwksUrl))] as const),
);

/** The pool a token claims to be for (its `aud`); only then is it verified, against that pool alone. */
const claimedPool = (token: string): UserPoolName => {
  let audience: unknown;
  try {
    audience = decodeJwt(token).aud;
  } catch {
    throw new Unauthenticated('Invalid token (malformed)');
  }
  const audiences = Array.isArray(audience) ? audience : [audience];
  const match = (Object.entries(pools) as Array<[UserPoolName, PoolConfig]>).find(([, pool]) =>
    audiences.includes(pool.audience),
  );
  if (!match) throw new Unauthenticated('Invalid token (audience)');
  return match[0];
};

/** The same checks as the HTTP API's authorizers, then the role the pool stands for must be the token's. */
const authorize = async (token: string | undefined): Promise<WebSocketCaller> => {
  if (!token) throw new Unauthenticated('Missing token query parameter');
  const pool = claimedPool(token);
  const keys = keySets.get(pool);
  if (!keys) throw new Unauthenticated('Invalid token (audience)');
  const payload = await verifyIdToken(token, keys, pools[pool]);
  const role = payload['custom:role'];
  // A practitioner's or an assistant's socket only from the professionals' pool, a patient's only from
  // the patients'. An assistant needs no grant to connect: the notifier sends them only what their
  // `inbox` grants cover, read at each event, so a socket opened before a grant or after a revocation
  // simply stays silent.
  if (
    (role !== 'practitioner' && role !== 'patient' && role !== 'assistant') ||
    USER_POOL_OF_ROLE[role] !== pool
  ) {
    throw new Unauthenticated('Invalid token (role)');
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new Unauthenticated('Invalid token (sub)');
  return { role, userId: payload.sub };
};

export const handler = webSocketAuthorizerHandler(declaration, authorize);
