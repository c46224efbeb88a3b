/**
 * Cursors are opaque and tamper-evident (SPEC 11.1) on every list route, over HTTP
 * against the local stack with the real handlers: a valid cursor leads to the next
 * page; a mutated, truncated, forged, re-signed (another key), swapped (another
 * list's, another caller's) or malformed one is a 400 VALIDATION_ERROR on `cursor`
 * — never a 5xx.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CursorScope, createCursorCodec } from '../../shared/db/cursor.ts';
import { inboxKeys, keys, TEMPLATE_SK_PREFIX } from '../../shared/db/keys.ts';
import type { ApiClient, ApiResponse } from '../support/http-client.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

const DOC = 'dr-e2e-cursor';
const OTHER_DOC = 'dr-e2e-cursor-other';
const PAT = 'pat-e2e-cursor';
const P = '/v1/practitioner';
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_201);
const MUTATIONS_PER_LIST = 25;

interface List {
  name: string;
  client: () => ApiClient;
  path: string;
  query?: Record<string, string>;
  /** The list's scope, where the test can name it: for cursors re-signed with another key. */
  scope?: () => CursorScope;
}

let t: TestApi;
let dr: ApiClient;
let other: ApiClient;
let pat: ApiClient;
let auditThreadId = '';
const statuses: number[] = [];

const LISTS: List[] = [
  {
    name: 'practitioner inbox (all)',
    client: () => dr,
    path: `${P}/threads`,
    scope: () => ({
      indexName: 'gsi1',
      partition: { attribute: 'gsi1pk', value: inboxKeys.practitionerAll(DOC) },
    }),
  },
  { name: 'practitioner inbox (open)', client: () => dr, path: `${P}/threads`, query: { filter: 'open' } },
  {
    name: 'practitioner inbox (untreated)',
    client: () => dr,
    path: `${P}/threads`,
    query: { filter: 'untreated' },
  },
  {
    name: 'practitioner inbox (closed)',
    client: () => dr,
    path: `${P}/threads`,
    query: { filter: 'closed' },
  },
  {
    name: 'patient inbox',
    client: () => pat,
    path: '/v1/patient/threads',
    scope: () => ({
      indexName: 'gsi4',
      partition: { attribute: 'gsi4pk', value: inboxKeys.patientAll(PAT) },
    }),
  },
  {
    name: 'templates',
    client: () => dr,
    path: `${P}/templates`,
    scope: () => ({
      partition: { attribute: 'pk', value: keys.template(DOC, '').pk },
      skPrefix: TEMPLATE_SK_PREFIX,
    }),
  },
  { name: 'automations', client: () => dr, path: `${P}/automations` },
  { name: 'communications', client: () => dr, path: `${P}/communications` },
  { name: 'scheduled messages (pending)', client: () => dr, path: `${P}/scheduled-messages` },
  {
    name: 'scheduled messages (all)',
    client: () => dr,
    path: `${P}/scheduled-messages`,
    query: { status: 'all' },
  },
  { name: 'thread audit trail', client: () => dr, path: `${P}/threads/{audit}/audit` },
];

const pathOf = (list: List) => list.path.replace('{audit}', auditThreadId);

const page = async (list: List, cursor?: string, client = list.client()): Promise<ApiResponse> => {
  const res = await client.get(pathOf(list), {
    query: { ...list.query, limit: 1, ...(cursor === undefined ? {} : { cursor }) },
  });
  statuses.push(res.status);
  return res;
};

const expectCursorRefused = (res: ApiResponse, what: string) => {
  expect(res.status, `${what}: ${res.text}`).toBe(400);
  expect(res.body.error.code, what).toBe('VALIDATION_ERROR');
  expect(
    res.body.error.details.map((d: { path: string[] }) => d.path),
    what,
  ).toContainEqual(['cursor']);
};

/** The first page's cursor of every list, by name (each list holds at least two items). */
const firstCursors = new Map<string, string>();

beforeAll(async () => {
  t = await startTestApi();
  dr = await t.as(DOC, 'practitioner');
  other = await t.as(OTHER_DOC, 'practitioner');
  pat = await t.as(PAT, 'patient');
  expect((await dr.put(`${P}/patients/${PAT}`, { firstName: 'Noé', lastName: 'Test' })).status).toBe(201);
  expect((await other.put(`${P}/patients/${PAT}`, { firstName: 'Noé', lastName: 'Test' })).status).toBe(201);

  // Four patient requests, two of them treated: two open and untreated, two closed. The first two are
  // treated before the last two start: a patient keeps at most 3 requests open with one practitioner (ADR 0011).
  const threads: string[] = [];
  for (let i = 0; i < 4; i++) {
    const started = await pat.post('/v1/patient/threads', { practitionerId: DOC, body: `Question ${i}` });
    expect(started.status).toBe(201);
    threads.push(started.body.thread.id);
    if (i !== 1) continue;
    for (const id of threads) {
      // Treat never closes over an unseen patient message (SPEC 11.1): read the thread first.
      expect((await dr.post(`${P}/threads/${id}/read`)).status).toBe(200);
      expect((await dr.post(`${P}/threads/${id}/treat`)).status).toBe(200);
    }
  }
  auditThreadId = threads[0] as string;
  for (const client of [dr, other]) {
    const templateIds: string[] = [];
    for (const name of ['Vaccin', 'Bilan']) {
      const template = await client.post(`${P}/templates`, { name, body: `Rappel : ${name}.` });
      expect(template.status).toBe(201);
      templateIds.push(template.body.id);
    }
    if (client !== dr) continue;
    for (const delayMinutes of [0, 60]) {
      const automation = await dr.post(`${P}/automations`, {
        templateId: templateIds[0],
        replyPolicy: 'none',
        delayMinutes,
      });
      expect(automation.status).toBe(201);
    }
  }
  for (const body of ['Le cabinet sera fermé lundi.', 'Nouveaux horaires.']) {
    expect((await dr.post(`${P}/communications`, { body, audience: { all: true } })).status).toBe(202);
  }
  const now = (await t.clock.now()).getTime();
  for (const hours of [1, 2]) {
    const sendAt = new Date(now + hours * 3_600_000).toISOString();
    expect((await dr.post(`${P}/threads`, { patientId: PAT, body: 'Plus tard', sendAt })).status).toBe(202);
  }
  await t.bus.drain();

  for (const list of LISTS) {
    const first = await page(list);
    expect(first.status, list.name).toBe(200);
    expect(first.body.items, list.name).toHaveLength(1);
    expect(first.body.nextCursor, list.name).toEqual(expect.any(String));
    firstCursors.set(list.name, first.body.nextCursor);
  }
});

afterAll(() => t?.stop());

describe('cursors on every list route', () => {
  it('a valid cursor leads to the next page, on every list', async () => {
    for (const list of LISTS) {
      const first = await page(list);
      const second = await page(list, firstCursors.get(list.name));
      expect(second.status, list.name).toBe(200);
      expect(second.body.items, list.name).toHaveLength(1);
      expect(second.body.items[0], list.name).not.toEqual(first.body.items[0]);
    }
  });

  it('a cursor from another list (another filter, kind, index or partition) is a 400', async () => {
    for (const from of LISTS) {
      for (const to of LISTS) {
        if (from === to) continue;
        expectCursorRefused(await page(to, firstCursors.get(from.name)), `${from.name} → ${to.name}`);
      }
    }
  });

  it("another caller's cursor of the same list is a 400", async () => {
    const templates = LISTS.find((l) => l.name === 'templates') as List;
    const theirs = (await page(templates, undefined, other)).body.nextCursor as string;
    expect(theirs).toEqual(expect.any(String));
    expectCursorRefused(await page(templates, theirs), 'another practitioner’s templates cursor');
    // …and ours is refused to them.
    expectCursorRefused(await page(templates, firstCursors.get('templates'), other), 'ours, sent by them');
  });

  it('a cursor re-signed with another key, or the old unsigned format with an extra attribute, is a 400', async () => {
    const foreign = createCursorCodec(randomBytes(32));
    for (const list of LISTS.filter((l) => l.scope)) {
      const scope = (list.scope as () => CursorScope)();
      const valid = firstCursors.get(list.name) as string;
      const values = JSON.parse(Buffer.from(valid.split('.')[0] as string, 'base64url').toString('utf8'));
      const attributes = scope.indexName
        ? ['pk', 'sk', `${scope.indexName}pk`, `${scope.indexName}sk`]
        : ['pk', 'sk'];
      const lastKey = Object.fromEntries(attributes.map((a, i) => [a, values[i]]));
      const resigned = foreign.encode(lastKey, scope) as string;
      // Same payload, same list: only the key differs.
      expect(resigned.split('.')[0]).toBe(valid.split('.')[0]);
      expectCursorRefused(await page(list, resigned), `${list.name}, re-signed`);
      // What used to reach DynamoDB and answer 500: the raw key plus one attribute it does not expect.
      const legacy = Buffer.from(JSON.stringify({ ...lastKey, extra: 'x' })).toString('base64url');
      expectCursorRefused(await page(list, legacy), `${list.name}, unsigned with an extra attribute`);
    }
  });

  it('random mutations of a valid cursor, and garbage, are 400 on every list (fuzz)', async () => {
    const char = fc.constantFrom(...'ABCXYZabcxyz0189-_.=+/% ~é\u0000'.split(''));
    const mutate = fc.oneof(
      fc.tuple(fc.nat(), char).map(([at, by]) => (s: string) => {
        const i = at % s.length;
        return s.slice(0, i) + by + s.slice(i + 1);
      }),
      fc.tuple(fc.nat(), char).map(([at, by]) => (s: string) => {
        const i = at % (s.length + 1);
        return s.slice(0, i) + by + s.slice(i);
      }),
      fc.nat().map((at) => (s: string) => s.slice(0, at % s.length)),
      fc.nat().map((at) => (s: string) => s.slice(0, at % s.length) + s.slice((at % s.length) + 1)),
      fc.string({ minLength: 1, maxLength: 6 }).map((tail) => (s: string) => s + tail),
    );
    const garbage = [
      ' ',
      '.',
      'null',
      '{}',
      '%00',
      'x'.repeat(3_000),
      Buffer.from('{"pk":1}').toString('base64url'),
      `${'A'.repeat(40)}.${'A'.repeat(43)}`,
    ];
    for (const list of LISTS) {
      const valid = firstCursors.get(list.name) as string;
      const mutants = fc
        .sample(fc.array(mutate, { minLength: 1, maxLength: 3 }), { numRuns: MUTATIONS_PER_LIST, seed: SEED })
        .map((steps) => steps.reduce((s, step) => step(s), valid))
        .filter((mutant) => mutant !== valid);
      for (const mutant of [...mutants, ...garbage]) {
        expectCursorRefused(await page(list, mutant), `${list.name}, cursor ${JSON.stringify(mutant)}`);
      }
    }
  });

  it('never answered a 5xx', () => {
    expect(statuses.length).toBeGreaterThan(LISTS.length * (MUTATIONS_PER_LIST + LISTS.length));
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  });
});
