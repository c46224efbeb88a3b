import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ENV, optionalEnv, requireEnv } from '../config.ts';
import type { BusAdapter } from './function-deps.ts';
import { eventBridgeBus } from './publisher.ts';

/**
 * The EventBridge bus, for the one function declared to put events on it (the
 * outbox publisher passes it: `streamConsumer(declaration, run, { bus: eventBusAdapter })`).
 * Its own module so no other Lambda bundles the EventBridge client.
 */
export const eventBusAdapter: BusAdapter = (context) => {
  const endpoint = optionalEnv(ENV.eventBridgeEndpoint);
  const client = context.client(
    'events',
    new EventBridgeClient({
      ...(endpoint && { endpoint }),
      // A hung PutEvents must fail, and the batch be retried, well inside the function's timeout.
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
    }),
  );
  return eventBridgeBus({ client, busName: requireEnv(ENV.eventBusName) });
};
