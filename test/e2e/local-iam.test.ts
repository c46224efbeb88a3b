/**
 * The local stack refuses what AWS would refuse. The regression that motivated it:
 * the practitioner's thread view was declared read-only while it writes a
 * `thread.viewed` audit entry — in AWS every view answered 500. With that old
 * declaration the local stack now answers the same 500 and logs the denial; the
 * real declaration (read threads, append audit entries) is covered by every
 * other e2e test, all of which run under the same enforcement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { createLogger } from '../../local/logger.ts';
import type { FunctionDeclaration } from '../../shared/function-model/declaration.ts';
import { startTestApi, type TestApi } from '../support/index.ts';

/** The thread view as it was declared before: read-only, no audit append. */
const readOnlyThreadView = FUNCTIONS.map(
  (f): FunctionDeclaration =>
    f.name === 'practitioner-get-thread' ? { ...f, access: { table: { read: ['thread', 'message'] } } } : f,
);

const errors: string[] = [];
let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({
    functions: readOnlyThreadView,
    logger: createLogger('iam-test', { quiet: true, err: (line) => errors.push(line) }),
  });
});
afterAll(() => t?.stop());

describe('local IAM enforcement', () => {
  it('answers the deployed 500 for a thread view declared read-only, and says why', async () => {
    const doc = await t.as('dr-iam', 'practitioner');
    const pat = await t.as('pat-iam', 'patient');
    expect(
      (
        await doc.put('/v1/practitioner/patients/pat-iam', {
          firstName: 'Camille',
          lastName: 'Durand',
          email: 'camille@example.org',
          attributes: {},
        })
      ).status,
    ).toBe(201);
    const request = await pat.post('/v1/patient/threads', { practitionerId: 'dr-iam', body: 'Bonjour' });
    expect(request.status).toBe(201);

    const view = await doc.get(`/v1/practitioner/threads/${request.body.thread.id}`);
    expect(view.status).toBe(500);
    expect(view.body).toEqual({ error: { code: 'INTERNAL_ERROR', message: expect.any(String) } });
    const denial = errors.find((line) => line.includes('IAM: practitioner-get-thread'));
    expect(denial).toMatch(/dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-3:000000000000:table\//);

    // The other functions, declared as they are, work under the same enforcement.
    expect((await pat.get(`/v1/patient/threads/${request.body.thread.id}`)).status).toBe(200);
    expect(
      errors.filter((line) => line.includes('IAM:') && !line.includes('practitioner-get-thread')),
    ).toEqual([]);
  });

  it('exposes the enforcement table: every declared function, with its statements', () => {
    expect([...t.stack.iam.table.keys()].sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
    expect(t.stack.iam.table.get('practitioner-get-thread')?.map((s) => s.sid)).toEqual(['ReadItems']);
  });
});
