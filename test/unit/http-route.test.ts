import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ValidationError } from '../../shared/domain/errors.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { httpRoute } from '../../shared/http/route.ts';
import type { Deps } from '../../shared/use-cases/deps.ts';

/** Two regressions the fuzz suite (test/e2e/fuzz.test.ts) found in the HTTP adapter. */
const event = (
  body: string,
  claims: Record<string, string> = { sub: 'dr-1', 'custom:role': 'practitioner', token_use: 'id' },
): APIGatewayProxyEventV2WithJWTAuthorizer =>
  ({
    version: '2.0',
    routeKey: 'POST /x',
    rawPath: '/x',
    rawQueryString: '',
    headers: {},
    body,
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-1',
      authorizer: { jwt: { claims, scopes: null } },
    },
  }) as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;

const context = { functionName: 'x', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 1000 } as Context;
const noDeps = () => ({}) as Deps;

const declare = <B extends z.ZodType = z.ZodUndefined>(body?: B) =>
  httpFunction<z.ZodUndefined, z.ZodUndefined, B>({
    name: 'test-route',
    summary: 'A route of this test',
    method: 'POST',
    path: '/x',
    role: 'practitioner',
    ...(body && { body }),
    responses: { 200: z.unknown() },
    access: {},
  });

const echo = httpRoute(
  declare(z.strictObject({ body: z.string(), tags: z.array(z.string()).optional() })),
  async ({ body }) => body,
  { deps: noDeps },
);

const call = async (handler: typeof echo, body: string) => {
  const res = await handler(event(body), context);
  return { status: res.statusCode, body: JSON.parse(res.body ?? 'null') };
};

describe('httpRoute', () => {
  it('refuses text that is not valid Unicode (a lone surrogate escape) with a 400 naming the field', async () => {
    for (const [body, path] of [
      ['{"body":"\\ud800"}', ['body']],
      ['{"body":"ok","tags":["fine","x\\udfffy"]}', ['tags', '1']],
      ['{"body":"a\\ud83d"}', ['body']],
    ] as const) {
      const res = await call(echo, body);
      expect(res.status, body).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'VALIDATION_ERROR',
        details: [{ path, code: 'invalid_unicode', message: expect.any(String) }],
      });
    }
  });

  it('accepts surrogate pairs, emoji, RTL and zero-width characters', async () => {
    const text = '👩‍⚕️ שלום \u202e\u200b \ud83d\ude00';
    const res = await call(echo, JSON.stringify({ body: text }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ body: text });
  });

  it('gives every VALIDATION_ERROR detail the {path, code, message} shape, even when raised by hand', async () => {
    const handRaised = httpRoute(
      declare(),
      async () => {
        throw new ValidationError('Invalid cursor', [
          { path: ['cursor'], message: 'Not a cursor of this list' },
        ]);
      },
      { deps: noDeps },
    );
    const res = await call(handRaised, '');
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { path: ['cursor'], code: 'custom', message: 'Not a cursor of this list' },
    ]);
  });

  it('answers 401 to anything but an ID token, before the role check (defence in depth behind the authorizer)', async () => {
    const ran: string[] = [];
    const handler = httpRoute(
      declare(),
      async ({ callerId }) => {
        ran.push(callerId);
        return {};
      },
      { deps: noDeps },
    );
    const as = async (claims: Record<string, string>) => {
      const res = await handler(event('', claims), context);
      return { status: res.statusCode, code: JSON.parse(res.body ?? 'null')?.error?.code };
    };
    const practitioner = { sub: 'dr-1', 'custom:role': 'practitioner' };
    expect(await as({ ...practitioner, token_use: 'access' })).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    expect(await as(practitioner)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await as({ ...practitioner, token_use: 'ID' })).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await as({ ...practitioner, 'custom:role': 'patient', token_use: 'id' })).toEqual({
      status: 403,
      code: 'FORBIDDEN',
    });
    expect(ran).toEqual([]);
    expect(await as({ ...practitioner, token_use: 'id' })).toEqual({ status: 200, code: undefined });
    expect(ran).toEqual(['dr-1']);
  });
});

describe('httpRoute: the email claims (ADR 0010)', () => {
  const identityRoute = (role: 'practitioner' | 'patient') =>
    httpRoute(
      httpFunction({
        name: `identity-${role}`,
        summary: 'Answers the identity it was given',
        method: 'POST',
        path: '/x',
        role,
        responses: { 200: z.unknown() },
        access: {},
      }),
      async ({ identity }) => ({ identity: identity ?? null }),
      { deps: noDeps },
    );
  const identityFor = async (role: 'practitioner' | 'patient', claims: Record<string, string>) => {
    const res = await identityRoute(role)(
      event('{}', { sub: 'u-1', 'custom:role': role, token_use: 'id', ...claims }),
      context,
    );
    expect(res.statusCode).toBe(200);
    return JSON.parse(res.body ?? 'null').identity;
  };

  it('gives a patient route the email and whether it is verified ("true" as the HTTP API passes it)', async () => {
    expect(await identityFor('patient', { email: 'a@b.example', email_verified: 'true' })).toEqual({
      email: 'a@b.example',
      emailVerified: true,
    });
    expect(await identityFor('patient', { email: 'a@b.example', email_verified: 'false' })).toEqual({
      email: 'a@b.example',
      emailVerified: false,
    });
    expect(await identityFor('patient', { email: 'a@b.example' })).toEqual({
      email: 'a@b.example',
      emailVerified: false,
    });
    expect(await identityFor('patient', {})).toBeNull();
  });

  it('gives a practitioner route nothing, whatever the token says', async () => {
    expect(await identityFor('practitioner', { email: 'dr@b.example', email_verified: 'true' })).toBeNull();
  });
});
