/**
 * The API Gateway Management API as a ConnectionPoster (SPEC 11.4): the endpoint is the WebSocket
 * stage's URL in AWS, the local stack's management endpoint locally (local/websocket.ts), so the
 * same code posts in both. 410 GoneException = the client is gone: the caller removes the connection.
 */
import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { REALTIME_ENV, requireEnv } from '../config.ts';
import type { ConnectionPoster } from '../use-cases/realtime.ts';
import type { AdapterContext } from './function-deps.ts';

const encoder = new TextEncoder();

export const connectionPoster = (context: AdapterContext): ConnectionPoster => {
  const client = context.client(
    'execute-api',
    new ApiGatewayManagementApiClient({
      endpoint: requireEnv(REALTIME_ENV.managementEndpoint),
      maxAttempts: 2,
    }),
  );
  return {
    async post(connectionId, data) {
      try {
        await client.send(
          new PostToConnectionCommand({ ConnectionId: connectionId, Data: encoder.encode(data) }),
        );
        return 'sent';
      } catch (error) {
        if (error instanceof GoneException || (error as Error).name === 'GoneException') return 'gone';
        throw error;
      }
    },
  };
};
