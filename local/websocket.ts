/**
 * The local twin of the API Gateway WebSocket API (SPEC 11.4), on one port (WS_PORT, 3001 for `npm start`):
 *
 *   ws://localhost:<port>/?token=<ID token>        the clients' endpoint: the `$connect` authorizer, then
 *                                                  `$connect`, then the socket; closing it runs `$disconnect`
 *   http://127.0.0.1:<port>/local/@connections/<id> the Management API (POST a frame, GET, DELETE), what the
 *                                                  notifier's ApiGatewayManagementApiClient is pointed at
 *
 * The declared handlers run with the events API Gateway gives them, and the notifier posts through the
 * same SDK client as in AWS: only the endpoint differs. A connection is refused (401) when the authorizer
 * throws, 403 when it denies, and the route's status when `$connect` does not answer 200. Frames a client
 * sends are ignored (no `$default` route: clients only listen). A connection is closed after 2 hours, as
 * API Gateway does.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { LOCAL_WEBSOCKET_API } from '../shared/function-model/permissions.ts';
import type { Logger } from './logger.ts';
import { closeServer, listen } from './net.ts';

export interface LocalWebSocketFunctions {
  authorizer: string;
  connect: string;
  disconnect: string;
}

export interface LocalWebSocketOptions {
  functions: LocalWebSocketFunctions;
  invoke: (name: string, event: unknown) => Promise<unknown>;
  account: { region: string; accountId: string };
  logger: Logger;
  /** Default 2 hours (API Gateway's maximum connection duration). */
  maxConnectionMs?: number;
}

interface Connection {
  socket: WebSocket;
  connectedAt: string;
  lastActiveAt: string;
  authorizer: Record<string, unknown>;
  timer: NodeJS.Timeout;
}

const MANAGEMENT_PATH = new RegExp(`^/${LOCAL_WEBSOCKET_API.stage}/@connections/([^/]+)$`);
const TWO_HOURS_MS = 2 * 60 * 60 * 1000;

/** API Gateway's connection ids: 12 random bytes, base64 ("L0SM9cOFvHcCIhw="). */
const newConnectionId = () => randomBytes(12).toString('base64');

const refuse = (socket: Duplex, status: number, reason: string) => {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n`);
};

/** The Management API's errors as the SDK deserializes them (restJson1: the type in x-amzn-errortype). */
const managementError = (res: ServerResponse, status: number, type: string, message: string) => {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ message }));
};

export class LocalWebSocketApi {
  private readonly connections = new Map<string, Connection>();
  private readonly server = createServer((req, res) => void this.manage(req, res));
  private readonly sockets = new WebSocketServer({ noServer: true });
  private port = 0;

  constructor(private readonly options: LocalWebSocketOptions) {
    this.server.on('upgrade', (req, socket, head) => void this.upgrade(req, socket, head));
  }

  async listen(port: number, host: string): Promise<{ url: string; managementEndpoint: string }> {
    this.port = await listen(this.server, port, host, 'local WebSocket API');
    const publicHost = host === '127.0.0.1' || host === '0.0.0.0' ? 'localhost' : host;
    return {
      url: `ws://${publicHost}:${this.port}`,
      managementEndpoint: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${this.port}/${LOCAL_WEBSOCKET_API.stage}`,
    };
  }

  /** Open connections (tests). */
  get size(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    for (const connection of this.connections.values()) connection.socket.terminate();
    this.sockets.close();
    await closeServer(this.server);
  }

  private routeEvent(connectionId: string, routeKey: string, extra: Record<string, unknown>) {
    return {
      requestContext: {
        connectionId,
        routeKey,
        eventType: routeKey === '$connect' ? 'CONNECT' : 'DISCONNECT',
        apiId: LOCAL_WEBSOCKET_API.apiId,
        stage: LOCAL_WEBSOCKET_API.stage,
        requestTimeEpoch: Date.now(),
        ...extra,
      },
      isBase64Encoded: false,
    };
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { logger, invoke, functions, account } = this.options;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/') return refuse(socket, 404, 'Not Found');
    const connectionId = newConnectionId();
    const query = Object.fromEntries(url.searchParams);
    let authorizer: Record<string, unknown>;
    try {
      const result = (await invoke(functions.authorizer, {
        type: 'REQUEST',
        methodArn: `arn:aws:execute-api:${account.region}:${account.accountId}:${LOCAL_WEBSOCKET_API.apiId}/${LOCAL_WEBSOCKET_API.stage}/$connect`,
        queryStringParameters: query,
        requestContext: { connectionId, routeKey: '$connect' },
      })) as {
        principalId: string;
        policyDocument: { Statement: Array<{ Effect: string }> };
        context?: Record<string, unknown>;
      };
      if (result.policyDocument.Statement.some((s) => s.Effect !== 'Allow'))
        return refuse(socket, 403, 'Forbidden');
      authorizer = { principalId: result.principalId, ...result.context };
    } catch {
      return refuse(socket, 401, 'Unauthorized');
    }
    const connected = (await invoke(
      functions.connect,
      this.routeEvent(connectionId, '$connect', { authorizer }),
    ).catch(() => ({ statusCode: 500 }))) as { statusCode?: number };
    if (connected.statusCode !== 200) {
      logger.warn(`$connect answered ${connected.statusCode}: connection refused`);
      return refuse(socket, connected.statusCode ?? 500, 'Refused');
    }
    this.sockets.handleUpgrade(req, socket, head, (ws) => this.opened(connectionId, ws, authorizer));
  }

  private opened(connectionId: string, socket: WebSocket, authorizer: Record<string, unknown>): void {
    const now = new Date().toISOString();
    const timer = setTimeout(
      () => socket.close(1001, 'Going away'),
      this.options.maxConnectionMs ?? TWO_HOURS_MS,
    );
    timer.unref();
    this.connections.set(connectionId, { socket, connectedAt: now, lastActiveAt: now, authorizer, timer });
    socket.on('message', () => {
      const connection = this.connections.get(connectionId);
      if (connection) connection.lastActiveAt = new Date().toISOString();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      this.connections.delete(connectionId);
      this.options
        .invoke(
          this.options.functions.disconnect,
          this.routeEvent(connectionId, '$disconnect', { authorizer }),
        )
        .catch((error: unknown) => this.options.logger.warn(`$disconnect failed: ${String(error)}`));
    });
  }

  /** POST/GET/DELETE /<stage>/@connections/{id}, as the Management API answers them. */
  private async manage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = MANAGEMENT_PATH.exec(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (!match?.[1]) return managementError(res, 404, 'NotFoundException', 'Not found');
    const connection = this.connections.get(decodeURIComponent(match[1]));
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (!connection || connection.socket.readyState !== connection.socket.OPEN) {
      return managementError(res, 410, 'GoneException', 'Connection is gone');
    }
    if (req.method === 'POST') {
      connection.socket.send(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200).end();
    } else if (req.method === 'DELETE') {
      connection.socket.close(1000, 'Closed by the service');
      res.writeHead(204).end();
    } else if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ connectedAt: connection.connectedAt, lastActiveAt: connection.lastActiveAt }));
    } else {
      managementError(res, 405, 'MethodNotAllowed', 'Method not allowed');
    }
  }
}
