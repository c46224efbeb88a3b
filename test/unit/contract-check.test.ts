/** The e2e tier's contract check (test/support/contract.ts) must fail on what openapi.json does not declare. */
import { describe, expect, it } from 'vitest';
import { assertDeclaredResponse, ContractViolation, operationOf } from '../support/contract.ts';

const JSON_TYPE = 'application/json; charset=utf-8';

describe('the contract check of e2e answers', () => {
  it('finds the operation as the router does (literal segments before parameters)', () => {
    expect(operationOf('GET', '/v1/practitioner/threads/t-1')?.template).toBe(
      '/v1/practitioner/threads/{threadId}',
    );
    expect(operationOf('GET', '/v1/practitioner/summary')?.template).toBe('/v1/practitioner/summary');
    expect(operationOf('GET', '/v1/nowhere')).toBeUndefined();
  });

  it('refuses a status the operation does not declare', () => {
    expect(() =>
      assertDeclaredResponse('GET', '/v1/patient/summary', 418, JSON_TYPE, {
        error: { code: 'X', message: 'x' },
      }),
    ).toThrow(ContractViolation);
  });

  it('refuses an error code the status does not declare, and accepts a declared one', () => {
    expect(() =>
      assertDeclaredResponse('GET', '/v1/patient/summary', 404, JSON_TYPE, {
        error: { code: 'VALIDATION_ERROR', message: 'x' },
      }),
    ).toThrow(/does not match/);
    expect(() =>
      assertDeclaredResponse('GET', '/v1/patient/summary', 404, JSON_TYPE, {
        error: { code: 'NOT_FOUND', message: 'Not found' },
      }),
    ).not.toThrow();
  });

  it('refuses a JSON status answered with another content type', () => {
    expect(() =>
      assertDeclaredResponse('GET', '/v1/patient/summary', 404, 'text/html', '<h1>404</h1>'),
    ).toThrow(/content-type/);
  });

  it('leaves paths the document does not list to the tests that call them', () => {
    expect(() =>
      assertDeclaredResponse('POST', '/local/token', 200, JSON_TYPE, { token: 't' }),
    ).not.toThrow();
  });
});
