/**
 * Translation between a raw HTTP request and what API Gateway HTTP API (payload
 * format 2.0) gives a Lambda, and back from the Lambda's result. Pure functions,
 * unit-tested; the server in http-api.ts does the I/O.
 *
 * Fidelity notes: headers are lower-cased and duplicates comma-joined; cookies move
 * to `cookies`; rawPath and pathParameters are URL-decoded (HTTP APIs decode);
 * query values are decoded and duplicates comma-joined; JWT claims become strings
 * (arrays as "[a b]"); the body is always text (isBase64Encoded false).
 */
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { JWTPayload } from 'jose';
import { LOCAL_ACCOUNT_ID, LOCAL_API_ID, LOCAL_REGION } from './constants.ts';

export interface RawHttpRequest {
  method: string;
  /** Path and query exactly as received, e.g. "/v1/x?a=1". */
  url: string;
  /** Node's req.rawHeaders: [name, value, name, value, ...]. */
  rawHeaders: readonly string[];
  body: string;
  sourceIp: string;
  httpVersion: string;
}

export interface MatchedRoute {
  routeKey: string;
  pathParameters: Record<string, string> | undefined;
}

/** Splits a URL into raw path and raw query (without "?"); the fragment never reaches a server. */
export const splitUrl = (url: string): { rawPath: string; rawQueryString: string } => {
  const q = url.indexOf('?');
  return q === -1
    ? { rawPath: url, rawQueryString: '' }
    : { rawPath: url.slice(0, q), rawQueryString: url.slice(q + 1) };
};

/** API Gateway's query map: decoded, duplicate keys comma-joined, undefined when empty. */
export const queryStringParameters = (rawQueryString: string): Record<string, string> | undefined => {
  if (!rawQueryString) return undefined;
  const result: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    result[key] = key in result ? `${result[key]},${value}` : value;
  }
  return Object.keys(result).length > 0 ? result : undefined;
};

/** Lower-cased headers with duplicates comma-joined; the cookie header becomes the cookies list. */
export const headersAndCookies = (
  rawHeaders: readonly string[],
): { headers: Record<string, string>; cookies: string[] | undefined } => {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = rawHeaders[i + 1] ?? '';
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      );
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return { headers, cookies: cookies.length > 0 ? cookies : undefined };
};

/** Every claim as a string, the way the HTTP API JWT authorizer hands them over. */
export const claimsToStrings = (payload: JWTPayload): Record<string, string> => {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined) continue;
    if (typeof value === 'string') claims[name] = value;
    else if (Array.isArray(value)) claims[name] = `[${value.map(String).join(' ')}]`;
    else if (typeof value === 'object' && value !== null) claims[name] = JSON.stringify(value);
    else claims[name] = String(value);
  }
  return claims;
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** requestContext.time format: "12/Mar/2020:19:03:58 +0000". */
export const apiGatewayTime = (date: Date): string =>
  `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(
    date.getUTCMinutes(),
  )}:${pad(date.getUTCSeconds())} +0000`;

export interface EventOptions {
  requestId: string;
  now: Date;
  /** Path already URL-decoded by the caller (the router matched on it). */
  decodedPath: string;
}

export const toApiGatewayEvent = (
  request: RawHttpRequest,
  match: MatchedRoute,
  claims: Record<string, string>,
  options: EventOptions,
): APIGatewayProxyEventV2WithJWTAuthorizer => {
  const { rawQueryString } = splitUrl(request.url);
  const { headers, cookies } = headersAndCookies(request.rawHeaders);
  // API Gateway adds the forwarding headers in front of the integration.
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${request.sourceIp}`
    : request.sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  const host = headers.host ?? 'localhost';
  const domainName = host.replace(/:\d+$/, '');
  const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
    version: '2.0',
    routeKey: match.routeKey,
    rawPath: options.decodedPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims, scopes: null } },
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: request.method,
        path: options.decodedPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: options.requestId,
      routeKey: match.routeKey,
      stage: '$default',
      time: apiGatewayTime(options.now),
      timeEpoch: options.now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (cookies) event.cookies = cookies;
  const query = queryStringParameters(rawQueryString);
  if (query) event.queryStringParameters = query;
  if (match.pathParameters) event.pathParameters = { ...match.pathParameters };
  if (request.body !== '') event.body = request.body;
  return event;
};

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

export class MalformedLambdaResponse extends Error {
  override readonly name = 'MalformedLambdaResponse';
}

const isStructured = (value: unknown): value is APIGatewayProxyStructuredResultV2 =>
  typeof value === 'object' && value !== null && 'statusCode' in value;

/**
 * Payload 2.0 response rules: a result with statusCode is used as is (content-type
 * defaults to application/json); anything else is "inferred" as 200 with the
 * value JSON-encoded. A malformed structured result is a 500 in API Gateway.
 */
export const fromLambdaResult = (result: unknown): HttpResponse => {
  if (!isStructured(result)) {
    const body = result === undefined ? '' : typeof result === 'string' ? result : JSON.stringify(result);
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      cookies: [],
      body: Buffer.from(body ?? '', 'utf8'),
    };
  }
  const { statusCode, body, isBase64Encoded, cookies } = result;
  if (
    typeof statusCode !== 'number' ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599
  ) {
    throw new MalformedLambdaResponse(
      `statusCode must be an integer 100-599, got ${JSON.stringify(statusCode)}`,
    );
  }
  if (body !== undefined && body !== null && typeof body !== 'string') {
    throw new MalformedLambdaResponse(`body must be a string, got ${typeof body}`);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (value === undefined || value === null) continue;
    headers[name.toLowerCase()] = String(value);
  }
  headers['content-type'] ??= 'application/json';
  return {
    statusCode,
    headers,
    cookies: Array.isArray(cookies) ? cookies.map(String) : [],
    body: Buffer.from(body ?? '', isBase64Encoded ? 'base64' : 'utf8'),
  };
};

/** A Lambda context good enough for Powertools and middy (timeout-aware). */
export const createLambdaContext = (functionName: string, requestId: string, timeoutMs: number): Context => {
  const deadline = Date.now() + timeoutMs;
  const unsupported = () => {
    throw new Error('callback-style context.done/fail/succeed is not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
};
