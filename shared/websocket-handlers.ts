/**
 * Thin handlers of the WebSocket API (SPEC 11.4), the twins of shared/http/route.ts for its routes:
 *
 *   export const handler = webSocketAuthorizerHandler(declaration, authorize);   // $connect's authorizer
 *   export const handler = webSocketRoute(declaration, (caller, connectionId, deps) => …); // $connect, $disconnect
 *
 * API Gateway calls the authorizer on `$connect` with the query string; what it returns in `context`
 * (role, user id) comes back in `requestContext.authorizer` on every route of that connection, `$disconnect`
 * included, so no route reads the token again. The local stack (local/websocket.ts) calls them with the
 * same events.
 */
import type { Context } from 'aws-lambda';
import type {
  WebSocketAuthorizerDeclaration,
  WebSocketFunctionDeclaration,
} from './function-model/declaration.ts';
import type { ConnectedRole } from './repositories/connection-repository.ts';
import { functionDeps } from './runtime/function-deps.ts';
import { Unauthenticated } from './runtime/id-token.ts';
import { errorFields, logger, withInvocationLogger } from './runtime/logger.ts';
import { connectionRepository } from './runtime/optional-repositories.ts';
import type { Deps } from './use-cases/deps.ts';

/** Who opened the connection, as the authorizer established it. */
export interface WebSocketCaller {
  role: ConnectedRole;
  userId: string;
}

/** The REQUEST authorizer's event, as much of it as is read. */
export interface WebSocketAuthorizerEvent {
  type: 'REQUEST';
  methodArn: string;
  queryStringParameters?: Record<string, string | undefined> | null;
  requestContext?: { connectionId?: string; routeKey?: string };
}

export interface WebSocketAuthorizerResult {
  principalId: string;
  policyDocument: {
    Version: '2012-10-17';
    Statement: Array<{ Action: 'execute-api:Invoke'; Effect: 'Allow' | 'Deny'; Resource: string }>;
  };
  context: { role: ConnectedRole; userId: string };
}

/** A route's event, as much of it as is read. */
export interface WebSocketRouteEvent {
  requestContext: {
    connectionId: string;
    routeKey: string;
    authorizer?: { principalId?: string; role?: string; userId?: string } | null;
  };
}

/** API Gateway's answer to a refused token: 401 on the upgrade (the message must be exactly this). */
export const UNAUTHORIZED = 'Unauthorized';

export const webSocketAuthorizerHandler =
  (
    declaration: WebSocketAuthorizerDeclaration,
    authorize: (token: string | undefined) => Promise<WebSocketCaller>,
  ) =>
  (event: WebSocketAuthorizerEvent, context: Context): Promise<WebSocketAuthorizerResult> =>
    withInvocationLogger(context, async () => {
      logger.appendKeys({ function: declaration.name });
      try {
        const caller = await authorize(event.queryStringParameters?.token);
        return {
          principalId: `${caller.role}:${caller.userId}`,
          policyDocument: {
            Version: '2012-10-17',
            Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
          },
          context: { role: caller.role, userId: caller.userId },
        };
      } catch (error) {
        // The reason only (never the token): API Gateway answers 401 whatever it is.
        if (error instanceof Unauthenticated)
          logger.info('WebSocket connection refused', { reason: error.message });
        else logger.error('WebSocket authorizer failed', errorFields(error));
        throw new Error(UNAUTHORIZED);
      }
    });

const callerOf = (event: WebSocketRouteEvent): WebSocketCaller => {
  const authorizer = event.requestContext.authorizer;
  const role = authorizer?.role;
  if ((role !== 'practitioner' && role !== 'patient' && role !== 'assistant') || !authorizer?.userId) {
    // Only reachable if the route were deployed without the authorizer: refuse rather than guess.
    throw new Error('WebSocket route called without an authorized caller');
  }
  return { role, userId: authorizer.userId };
};

export const webSocketRoute = (
  declaration: WebSocketFunctionDeclaration,
  run: (caller: WebSocketCaller, connectionId: string, deps: Deps) => Promise<void>,
) => {
  // Every WebSocket route stores or removes its caller's connection.
  const deps = functionDeps(declaration, { repositories: connectionRepository });
  return (event: WebSocketRouteEvent, context: Context): Promise<{ statusCode: number }> =>
    withInvocationLogger(context, async () => {
      logger.appendKeys({ function: declaration.name, route: declaration.route });
      try {
        await run(callerOf(event), event.requestContext.connectionId, deps);
        return { statusCode: 200 };
      } catch (error) {
        logger.error('WebSocket route failed', errorFields(error));
        return { statusCode: 500 };
      }
    });
};
