import { needs } from '../../shared/use-cases/deps.ts';
import { webSocketRoute } from '../../shared/websocket-handlers.ts';
import { declaration } from './function.ts';

/** The connection joins its user's partition: the notifier reaches all of a user's devices with one Query. */
export const handler = webSocketRoute(declaration, (caller, connectionId, deps) =>
  needs(deps, 'connections').add(caller.role, caller.userId, connectionId, deps.clock.now()),
);
