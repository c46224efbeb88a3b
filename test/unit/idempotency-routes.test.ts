/**
 * Idempotent writes in the HTTP adapter (shared/http/route.ts), with a fake store
 * standing in for Powertools (its DynamoDB behaviour is covered end to end in
 * test/e2e/idempotency.test.ts). What every route must declare: test/unit/catalog.test.ts.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { IdempotencyKeyReused } from '../../shared/domain/errors.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import {
  httpRoute,
  type IdempotencyStore,
  type IdempotentRequest,
  type RouteHandler,
  type StoredResponse,
} from '../../shared/http/route.ts';
import type { Deps } from '../../shared/use-cases/deps.ts';

const event = (headers: Record<string, string>, body = '{"text":"Bonjour"}') =>
  ({
    version: '2.0',
    routeKey: 'POST /v1/things',
    rawPath: '/v1/things',
    rawQueryString: '',
    headers,
    body,
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-1',
      authorizer: {
        jwt: { claims: { sub: 'dr-1', 'custom:role': 'practitioner', token_use: 'id' }, scopes: null },
      },
    },
  }) as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;

const context = { functionName: 'x', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 1000 } as Context;

/** Remembers first responses by (caller, route, key); refuses another payload like Powertools does. */
const fakeStore = () => {
  const records = new Map<string, { payload: string; response: StoredResponse }>();
  const requests: IdempotentRequest[] = [];
  const store: IdempotencyStore = {
    async run(request, execute) {
      requests.push(request);
      const id = JSON.stringify([request.callerId, request.routeKey, request.key]);
      const payload = JSON.stringify(request.payload);
      const found = records.get(id);
      if (found) {
        if (found.payload !== payload) throw new IdempotencyKeyReused();
        return { response: found.response, replayed: true };
      }
      const response = await execute();
      records.set(id, { payload, response });
      return { response, replayed: false };
    },
  };
  return { store, requests };
};

const declaration = httpFunction({
  name: 'test-create-thing',
  summary: 'Create a thing',
  method: 'POST',
  path: '/v1/things',
  role: 'practitioner',
  body: z.strictObject({ text: z.string() }),
  responses: { 201: z.unknown() },
  idempotent: true,
  access: {},
});

const route = (store: IdempotencyStore) => {
  let runs = 0;
  const handler = httpRoute(
    declaration,
    async ({ body }) => {
      runs += 1;
      return { id: `thing-${runs}`, text: body.text };
    },
    { idempotency: () => store, deps: () => ({}) as Deps },
  );
  return { handler, runs: () => runs };
};

const call = async (handler: RouteHandler, headers: Record<string, string>, body?: string) => {
  const res = await handler(event(headers, body), context);
  return {
    status: res.statusCode,
    headers: res.headers ?? {},
    body: res.body ? JSON.parse(res.body) : undefined,
  };
};

describe('Idempotency-Key in the HTTP adapter', () => {
  it('without the header, every request runs (nothing asked of the store)', async () => {
    const { store, requests } = fakeStore();
    const { handler, runs } = route(store);
    expect((await call(handler, {})).status).toBe(201);
    expect((await call(handler, {})).status).toBe(201);
    expect(runs()).toBe(2);
    expect(requests).toEqual([]);
  });

  it('with it, a retry answers the first response, marked replayed, and runs nothing', async () => {
    const { store, requests } = fakeStore();
    const { handler, runs } = route(store);
    const first = await call(handler, { 'idempotency-key': 'key-1' });
    const retry = await call(handler, { 'idempotency-key': 'key-1' });
    expect(first).toMatchObject({ status: 201, body: { id: 'thing-1', text: 'Bonjour' } });
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(retry).toMatchObject({ status: 201, body: first.body });
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(runs()).toBe(1);
    expect(requests[0]).toMatchObject({
      callerId: 'dr-1',
      routeKey: 'POST /v1/things',
      key: 'key-1',
      payload: { params: null, query: null, body: { text: 'Bonjour' } },
    });
  });

  it('the same key with another body is a 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const { store } = fakeStore();
    const { handler, runs } = route(store);
    await call(handler, { 'idempotency-key': 'key-1' });
    const reused = await call(handler, { 'idempotency-key': 'key-1' }, '{"text":"Autre chose"}');
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(runs()).toBe(1);
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(129)],
    ['with a space', 'my key'],
    ['not ASCII', 'clé'],
  ])('refuses a malformed key (%s) with a 400 naming the header, before running', async (_, key) => {
    const { store, requests } = fakeStore();
    const { handler, runs } = route(store);
    const res = await call(handler, { 'idempotency-key': key });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: [{ path: ['headers', 'idempotency-key'], code: 'invalid_format' }],
    });
    expect(runs()).toBe(0);
    expect(requests).toEqual([]);
  });

  it('accepts a UUID and 128 visible ASCII characters', async () => {
    const { store } = fakeStore();
    const { handler } = route(store);
    expect((await call(handler, { 'idempotency-key': crypto.randomUUID() })).status).toBe(201);
    expect((await call(handler, { 'idempotency-key': '~!'.repeat(64) })).status).toBe(201);
  });
});
