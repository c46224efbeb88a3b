import { needs } from '../../shared/use-cases/deps.ts';
import { webSocketRoute } from '../../shared/websocket-handlers.ts';
import { declaration } from './function.ts';

/** Best effort in API Gateway ($disconnect is not guaranteed): the notifier also drops gone ones, the TTL the rest. */
export const handler = webSocketRoute(declaration, (caller, connectionId, deps) =>
  needs(deps, 'connections').remove(caller.role, caller.userId, connectionId),
);
