import { describe, expect, it } from 'vitest';
import {
  apiGatewayTime,
  claimsToStrings,
  createLambdaContext,
  fromLambdaResult,
  headersAndCookies,
  MalformedLambdaResponse,
  queryStringParameters,
  type RawHttpRequest,
  splitUrl,
  toApiGatewayEvent,
} from '../../local/api-gateway.ts';

const request = (overrides: Partial<RawHttpRequest> = {}): RawHttpRequest => ({
  method: 'POST',
  url: '/v1/patient/threads/t%201/messages?a=1&b=x%20y&a=2&empty=',
  rawHeaders: [
    'Host',
    'localhost:3000',
    'Content-Type',
    'application/json',
    'X-Custom',
    'one',
    'x-custom',
    'two',
    'User-Agent',
    'curl/8',
    'Cookie',
    'a=1; b=2',
  ],
  body: '{"body":"hello"}',
  sourceIp: '127.0.0.1',
  httpVersion: '1.1',
  ...overrides,
});

const now = new Date('2026-03-12T19:03:58.123Z');

describe('HTTP request → API Gateway payload 2.0 event', () => {
  const event = toApiGatewayEvent(
    request(),
    { routeKey: 'POST /v1/patient/threads/{threadId}/messages', pathParameters: { threadId: 't 1' } },
    { sub: 'pat-1', 'custom:role': 'patient' },
    { requestId: 'req-1', now, decodedPath: '/v1/patient/threads/t 1/messages' },
  );

  it('has the payload 2.0 top-level fields', () => {
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /v1/patient/threads/{threadId}/messages',
      rawPath: '/v1/patient/threads/t 1/messages',
      rawQueryString: 'a=1&b=x%20y&a=2&empty=',
      pathParameters: { threadId: 't 1' },
      body: '{"body":"hello"}',
      isBase64Encoded: false,
      cookies: ['a=1', 'b=2'],
    });
  });

  it('decodes query values and comma-joins duplicates', () => {
    expect(event.queryStringParameters).toEqual({ a: '1,2', b: 'x y', empty: '' });
  });

  it('lower-cases headers, joins duplicates, moves cookies out and adds forwarding headers', () => {
    expect(event.headers).toEqual({
      host: 'localhost:3000',
      'content-type': 'application/json',
      'x-custom': 'one,two',
      'user-agent': 'curl/8',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
    });
  });

  it('fills requestContext like API Gateway, with the JWT claims and null scopes', () => {
    expect(event.requestContext).toEqual({
      accountId: '000000000000',
      apiId: 'local',
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: { claims: { sub: 'pat-1', 'custom:role': 'patient' }, scopes: null },
      },
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: 'POST',
        path: '/v1/patient/threads/t 1/messages',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'curl/8',
      },
      requestId: 'req-1',
      routeKey: 'POST /v1/patient/threads/{threadId}/messages',
      stage: '$default',
      time: '12/Mar/2026:19:03:58 +0000',
      timeEpoch: now.getTime(),
    });
  });

  it('omits body, query, path parameters and cookies when there are none', () => {
    const bare = toApiGatewayEvent(
      request({ url: '/v1/patient/summary', body: '', rawHeaders: ['Host', 'localhost'] }),
      { routeKey: 'GET /v1/patient/summary', pathParameters: undefined },
      {},
      { requestId: 'r', now, decodedPath: '/v1/patient/summary' },
    );
    expect(bare.body).toBeUndefined();
    expect(bare.queryStringParameters).toBeUndefined();
    expect(bare.pathParameters).toBeUndefined();
    expect(bare.cookies).toBeUndefined();
    expect(bare.rawQueryString).toBe('');
    expect(bare.requestContext.http.userAgent).toBe('');
  });

  it('splits URLs and parses query strings', () => {
    expect(splitUrl('/a?b=1?c')).toEqual({ rawPath: '/a', rawQueryString: 'b=1?c' });
    expect(splitUrl('/a')).toEqual({ rawPath: '/a', rawQueryString: '' });
    expect(queryStringParameters('')).toBeUndefined();
    expect(queryStringParameters('filter=untreated&limit=20')).toEqual({ filter: 'untreated', limit: '20' });
    expect(headersAndCookies(['Cookie', 'x=1', 'cookie', 'y=2']).cookies).toEqual(['x=1', 'y=2']);
  });

  it('turns every claim into a string, arrays as "[a b]"', () => {
    expect(
      claimsToStrings({ sub: 's', exp: 1700000000, email_verified: true, aud: ['a', 'b'], obj: { k: 1 } }),
    ).toEqual({ sub: 's', exp: '1700000000', email_verified: 'true', aud: '[a b]', obj: '{"k":1}' });
  });

  it('formats requestContext.time with a zero-padded day', () => {
    expect(apiGatewayTime(new Date('2026-01-02T03:04:05Z'))).toBe('02/Jan/2026:03:04:05 +0000');
  });
});

describe('Lambda result → HTTP response', () => {
  it('uses a structured result, defaulting content-type to JSON', () => {
    const response = fromLambdaResult({
      statusCode: 201,
      body: '{"id":"x"}',
      headers: { 'X-Id': 'x', Retry: 3 },
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers).toEqual({ 'x-id': 'x', retry: '3', 'content-type': 'application/json' });
    expect(response.body.toString()).toBe('{"id":"x"}');
  });

  it('keeps an explicit content-type, decodes base64 bodies and passes cookies', () => {
    const response = fromLambdaResult({
      statusCode: 200,
      headers: { 'content-type': 'text/plain' },
      body: Buffer.from('hi').toString('base64'),
      isBase64Encoded: true,
      cookies: ['s=1; HttpOnly'],
    });
    expect(response.headers['content-type']).toBe('text/plain');
    expect(response.body.toString()).toBe('hi');
    expect(response.cookies).toEqual(['s=1; HttpOnly']);
  });

  it('infers 200 JSON from a result without statusCode, as payload 2.0 does', () => {
    const response = fromLambdaResult({ items: [] });
    expect(response.statusCode).toBe(200);
    expect(response.body.toString()).toBe('{"items":[]}');
    expect(fromLambdaResult(undefined).body.length).toBe(0);
  });

  it('refuses a malformed structured result (API Gateway answers 500)', () => {
    expect(() => fromLambdaResult({ statusCode: '200' })).toThrow(MalformedLambdaResponse);
    expect(() => fromLambdaResult({ statusCode: 200, body: { a: 1 } })).toThrow(MalformedLambdaResponse);
    expect(() => fromLambdaResult({ statusCode: 99 })).toThrow(MalformedLambdaResponse);
  });
});

describe('Lambda context', () => {
  it('carries the function name and request id and counts down', () => {
    const context = createLambdaContext('practitioner-reply', 'req-9', 5000);
    expect(context).toMatchObject({
      functionName: 'practitioner-reply',
      awsRequestId: 'req-9',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-3:000000000000:function:practitioner-reply',
      logGroupName: '/aws/lambda/practitioner-reply',
    });
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(4000);
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(5000);
    expect(() => context.succeed('x')).toThrow(/not supported/);
  });
});
