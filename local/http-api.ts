/**
 * The local HTTP API: what API Gateway HTTP API + its JWT authorizer do in front of
 * the route Lambdas.
 *
 *   route match (404 NOT_FOUND)  →  body ≤ 10 MB (413)  →  the JWT authorizer of
 *   the route's user pool (401)
 *   →  payload 2.0 event  →  handler  →  structured result written back
 *
 * A handler that throws, returns a malformed result or times out answers what API
 * Gateway answers (500 / 500 / 503 `{"message": ...}`); the error is logged to
 * stderr without the request body. /local/* and /docs are served before routing.
 *
 * Until the stack has loaded every handler (`isReady`), everything but
 * GET /local/health answers 503 STARTING with `Retry-After: 1`: the port opens
 * before the handlers load (the token issuer needs it), and a client must never
 * see a 5xx-for-a-bug during startup.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type HttpFunctionDeclaration,
  routeKey,
  USER_POOL_OF_ROLE,
} from '../shared/function-model/declaration.ts';
import {
  claimsToStrings,
  createLambdaContext,
  fromLambdaResult,
  type RawHttpRequest,
  splitUrl,
  toApiGatewayEvent,
} from './api-gateway.ts';
import { type LocalAuth, Unauthenticated } from './auth.ts';
import { serveApiDocs } from './docs.ts';
import type { LambdaHandler } from './functions.ts';
import { PayloadTooLarge, readBody, sendError, sendJson } from './http-util.ts';
import { handleLocalRoute, type LocalRoutesDeps } from './local-routes.ts';
import { describeError } from './logger.ts';
import type { Router } from './routing.ts';

/** What the local API needs of a route: the function it invokes, its method and path, whose tokens it takes. */
export type LocalRoute = Pick<HttpFunctionDeclaration, 'name' | 'path' | 'role'> & {
  /** `ANY`: the 405 fallback of a path, matched after the path's own methods (local/routing.ts). */
  method: HttpFunctionDeclaration['method'] | 'ANY';
};

/** API Gateway's payload limit. */
export const API_BODY_LIMIT_BYTES = 10 * 1024 * 1024;
/** API Gateway HTTP API's maximum integration timeout. */
export const API_TIMEOUT_MS = 30_000;

export interface HttpApiOptions extends LocalRoutesDeps {
  router: Router<LocalRoute>;
  handlerFor(name: string): LambdaHandler | undefined;
  auth: LocalAuth;
  bodyLimitBytes?: number;
  timeoutMs?: number;
  /** An OpenAPI document to serve at /openapi.json and /docs when it exists. */
  openApiFile?: string;
}

class HandlerTimeout extends Error {}

const withTimeout = async <T>(work: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HandlerTimeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
};

export const createHttpApi = (options: HttpApiOptions): Server => {
  const { router, auth, logger } = options;
  const bodyLimit = options.bodyLimitBytes ?? API_BODY_LIMIT_BYTES;
  const timeoutMs = options.timeoutMs ?? API_TIMEOUT_MS;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const requestId = randomUUID();
    const method = req.method ?? 'GET';
    const { rawPath, rawQueryString } = splitUrl(req.url ?? '/');
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      req.resume();
      sendJson(res, 400, { message: 'Bad Request' });
      return;
    }
    const access = (status: number, note = '') =>
      logger.info(`${method} ${rawPath} → ${status} ${Date.now() - started} ms${note}`);

    if (!options.isReady() && !(method === 'GET' && path === '/local/health')) {
      req.resume();
      sendError(
        res,
        503,
        'STARTING',
        'The local stack is starting: its handlers are not all loaded yet. Retry in a second.',
        undefined,
        { 'retry-after': '1' },
      );
      access(503, ' (starting)');
      return;
    }

    if (path.startsWith('/local/')) {
      if (await handleLocalRoute(req, res, path, new URLSearchParams(rawQueryString), options)) {
        access(res.statusCode);
        return;
      }
    }
    if (method === 'GET' && serveApiDocs(res, path, options.openApiFile, req.headers.host)) return;

    const match = router.match(method, path);
    if (!match) {
      req.resume();
      sendError(res, 404, 'NOT_FOUND', `No route for ${method} ${path}`);
      access(404);
      return;
    }
    const key = routeKey(match.route);
    const idHeader = { 'apigw-requestid': requestId };

    let body: string;
    try {
      body = await readBody(req, bodyLimit);
    } catch (error) {
      if (!(error instanceof PayloadTooLarge)) throw error;
      sendError(res, 413, 'PAYLOAD_TOO_LARGE', error.message, undefined, {
        ...idHeader,
        connection: 'close',
      });
      access(413);
      return;
    }

    let claims: Record<string, string>;
    const authorizerStarted = performance.now();
    try {
      claims = claimsToStrings(
        await auth.verifyAuthorizationHeader(req.headers.authorization, USER_POOL_OF_ROLE[match.route.role]),
      );
    } catch (error) {
      const message = error instanceof Unauthenticated ? error.message : 'Unauthorized';
      sendError(res, 401, 'UNAUTHENTICATED', message, undefined, {
        ...idHeader,
        'www-authenticate': 'Bearer',
      });
      access(401, ` (${message})`);
      return;
    }

    const authorizerMs = performance.now() - authorizerStarted;
    const handler = options.handlerFor(match.route.name);
    const request: RawHttpRequest = {
      method,
      url: req.url ?? '/',
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      httpVersion: req.httpVersion,
    };
    const event = toApiGatewayEvent(
      request,
      { routeKey: key, pathParameters: match.pathParameters },
      claims,
      {
        requestId,
        now: options.clock.now(),
        decodedPath: path,
      },
    );
    const context = createLambdaContext(match.route.name, requestId, timeoutMs);

    let response: ReturnType<typeof fromLambdaResult>;
    const functionStarted = performance.now();
    try {
      if (!handler) throw new Error(`No handler loaded for ${match.route.name}`);
      const run = Promise.resolve().then(() =>
        (handler as (e: unknown, c: typeof context) => unknown)(event, context),
      );
      response = fromLambdaResult(await withTimeout(run, timeoutMs));
    } catch (error) {
      if (error instanceof HandlerTimeout) {
        logger.error(`${key} (${match.route.name}) timed out after ${timeoutMs} ms, request ${requestId}`);
        sendJson(res, 503, { message: 'Service Unavailable' }, idHeader);
        access(503);
        return;
      }
      // Never the body: it may hold patient messages.
      logger.error(`${key} (${match.route.name}) failed, request ${requestId}: ${describeError(error)}`);
      sendJson(res, 500, { message: 'Internal Server Error' }, idHeader);
      access(500);
      return;
    }

    const functionMs = performance.now() - functionStarted;
    const headers: Record<string, string | string[]> = {
      ...response.headers,
      ...idHeader,
      // Where the time went (local only; a browser's devtools show it): what AWS bills as the
      // authorizer and as the function's Duration, the rest being the local gateway and the network.
      'server-timing': `authorizer;dur=${authorizerMs.toFixed(2)}, function;dur=${functionMs.toFixed(2)}`,
    };
    if (response.cookies.length > 0) headers['set-cookie'] = response.cookies;
    headers['content-length'] = String(response.body.length);
    res.writeHead(response.statusCode, headers);
    res.end(response.body);
    access(response.statusCode);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      logger.error(
        `local API failure on ${req.method} ${splitUrl(req.url ?? '/').rawPath}: ${describeError(error)}`,
      );
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  });
  server.on('clientError', answerClientError);
  return server;
};

/**
 * Requests Node refuses before any handler runs. By default it answers an over-long header
 * section with an empty 431 and other malformed requests with an empty 400; clients get the
 * API's JSON error shape instead (in AWS, API Gateway answers these itself).
 */
const answerClientError = (error: NodeJS.ErrnoException, socket: Duplex): void => {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const [status, reason, code, message] = tooLarge
    ? [431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE', 'The request headers are too large.']
    : [400, 'Bad Request', 'BAD_REQUEST', 'The request is not valid HTTP.'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
};
