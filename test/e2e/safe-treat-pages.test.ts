import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, startTestApi, type TestApi } from '../support/index.ts';

/**
 * SPEC 11.1 over HTTP, as a client drives it: a treat never closes over a
 * patient message the practitioner has not seen (409 THREAD_CHANGED), and the
 * thread views come in pages, newest first, with a cursor to older ones.
 */
let t: TestApi;
let doc: ApiClient;
let pat: ApiClient;
const DOC = 'dr-pages';
const PAT = 'pat-pages';
const P = '/v1/practitioner';
const PT = '/v1/patient';

beforeAll(async () => {
  t = await startTestApi();
  doc = await t.as(DOC, 'practitioner');
  pat = await t.as(PAT, 'patient');
  await doc.put(`${P}/patients/${PAT}`, { firstName: 'Camille', lastName: 'Durand' });
});
afterAll(() => t?.stop());

const newRequest = async (body: string) => {
  const res = await pat.post(`${PT}/threads`, { practitionerId: DOC, body });
  expect(res.status).toBe(201);
  return { threadId: res.body.thread.id as string, messageId: res.body.message.id as string };
};

describe('safe treat over HTTP', () => {
  it('practitioner reads, patient writes "douleur thoracique…", treat → 409 with the new message, nothing changed', async () => {
    const { threadId } = await newRequest('Renouvellement de mon ordonnance ?');
    const page = await doc.get(`${P}/threads/${threadId}`);
    const lastSeenMessageId: string = page.body.messages.at(-1).id;
    expect((await doc.post(`${P}/threads/${threadId}/read`)).status).toBe(200);

    const urgent = await pat.post(`${PT}/threads/${threadId}/messages`, {
      body: 'Douleur thoracique depuis ce matin, ça serre…',
    });
    expect(urgent.status).toBe(201);
    await t.bus.drain();
    const summary = (await doc.get(`${P}/summary`)).body;
    const events = t.bus.events.length;
    const trail = (await doc.get(`${P}/threads/${threadId}/audit`, { query: { limit: 100 } })).body.items;

    for (const body of [{ lastSeenMessageId }, {}, undefined]) {
      const refused = await doc.post(`${P}/threads/${threadId}/treat`, body);
      expect(refused.status).toBe(409);
      expect(refused.body.error).toEqual({
        code: 'THREAD_CHANGED',
        message: expect.any(String),
        details: { newerMessageIds: [urgent.body.message.id] },
      });
    }
    const reply = await doc.post(`${P}/threads/${threadId}/messages`, {
      body: 'Bonne journée',
      markTreated: true,
      lastSeenMessageId,
    });
    expect(reply.status).toBe(409);
    expect(reply.body.error.code).toBe('THREAD_CHANGED');

    await t.bus.drain();
    expect((await doc.get(`${P}/summary`)).body).toEqual(summary);
    expect(t.bus.events.length).toBe(events);
    // Nothing but the read of the trail above (audit.viewed, written after its page was read).
    expect((await doc.get(`${P}/threads/${threadId}/audit`, { query: { limit: 100 } })).body.items).toEqual([
      ...trail,
      expect.objectContaining({ action: 'audit.viewed', actor: { role: 'practitioner', id: DOC } }),
    ]);
    const unchanged = await doc.get(`${P}/threads/${threadId}`);
    expect(unchanged.body.thread).toMatchObject({ status: 'open', untreatedCount: 2 });
    expect(unchanged.body.messages.map((m: { id: string }) => m.id)).toEqual([
      lastSeenMessageId,
      urgent.body.message.id,
    ]);

    // Seen now: the reply that closes goes through.
    const closed = await doc.post(`${P}/threads/${threadId}/messages`, {
      body: 'Appelez le 15 immédiatement.',
      replyPolicy: 'none',
      markTreated: true,
      lastSeenMessageId: unchanged.body.messages.at(-1).id,
    });
    expect(closed.status).toBe(201);
    expect(closed.body.thread).toMatchObject({ status: 'closed', untreatedCount: 0 });
  });

  it('after POST /read the treat needs no body; an unknown lastSeenMessageId is a 400 on that field', async () => {
    const { threadId, messageId } = await newRequest('Question');
    const unknown = await doc.post(`${P}/threads/${threadId}/treat`, {
      lastSeenMessageId: '01KRJQZT00A4X36JEQ8DXF2SB6',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: [{ path: ['lastSeenMessageId'], code: 'custom', message: 'Not a message of this thread' }],
    });
    for (const body of [{ lastSeenMessageId: 'not/an id' }, { lastSeenMessageId: messageId, force: true }]) {
      expect((await doc.post(`${P}/threads/${threadId}/treat`, body)).status).toBe(400);
    }
    const withoutTreat = await doc.post(`${P}/threads/${threadId}/messages`, {
      body: 'x',
      lastSeenMessageId: messageId,
    });
    expect(withoutTreat.status).toBe(400);
    expect(withoutTreat.body.error.details[0].path).toEqual(['lastSeenMessageId']);
    const other = await t.as('dr-someone-else', 'practitioner');
    expect(
      (await other.post(`${P}/threads/${threadId}/treat`, { lastSeenMessageId: messageId })).status,
    ).toBe(404);

    await doc.post(`${P}/threads/${threadId}/read`);
    const treated = await doc.post(`${P}/threads/${threadId}/treat`);
    expect(treated.status).toBe(200);
    expect(treated.body.thread.status).toBe('closed');
  });
});

describe('thread pages over HTTP', () => {
  let threadId = '';
  const ids: string[] = [];

  beforeAll(async () => {
    const started = await newRequest('Message 0');
    threadId = started.threadId;
    ids.push(started.messageId);
    for (let i = 1; i < 120; i++) {
      const res =
        i % 10 === 0
          ? await doc.post(`${P}/threads/${threadId}/messages`, {
              body: `Message ${i}`,
              replyPolicy: 'until_closed',
            })
          : await pat.post(`${PT}/threads/${threadId}/messages`, { body: `Message ${i}` });
      expect(res.status).toBe(201);
      ids.push(res.body.message.id);
    }
  }, 120_000);

  it.each([
    ['practitioner', P],
    ['patient', PT],
  ] as const)(
    '%s: 120 messages → 50/50/20, oldest first within a page, nextCursor null at the end',
    async (who, prefix) => {
      const client = who === 'practitioner' ? doc : pat;
      const pages: { messages: { id: string; body: string }[]; nextCursor: string | null }[] = [];
      let cursor: string | undefined;
      do {
        const res = await client.get(`${prefix}/threads/${threadId}`, { query: { cursor } });
        expect(res.status).toBe(200);
        expect(Object.keys(res.body).sort()).toEqual(
          who === 'practitioner'
            ? ['messages', 'nextCursor', 'thread']
            : ['messages', 'nextCursor', 'notice', 'thread'],
        );
        pages.push(res.body);
        cursor = res.body.nextCursor ?? undefined;
      } while (cursor && pages.length < 10);
      expect(pages.map((p) => p.messages.length)).toEqual([50, 50, 20]);
      expect(pages.at(-1)?.nextCursor).toBeNull();
      expect(pages[0]?.messages.map((m) => m.id)).toEqual(ids.slice(70));
      const all = pages.toReversed().flatMap((p) => p.messages);
      expect(all.map((m) => m.id)).toEqual(ids);
      expect(new Set(all.map((m) => m.id)).size).toBe(120);
      expect(all.map((m) => m.body)).toEqual(ids.map((_, i) => `Message ${i}`));
    },
  );

  it('limit 1..100; anything else, or a forged cursor, is a 400 (never a 5xx)', async () => {
    for (const [prefix, client] of [
      [P, doc],
      [PT, pat],
    ] as const) {
      const one = await client.get(`${prefix}/threads/${threadId}`, { query: { limit: 1 } });
      expect(one.body.messages.map((m: { id: string }) => m.id)).toEqual([ids.at(-1)]);
      const hundred = await client.get(`${prefix}/threads/${threadId}`, { query: { limit: 100 } });
      expect(hundred.body.messages).toHaveLength(100);
      const rest = await client.get(`${prefix}/threads/${threadId}`, {
        query: { limit: 100, cursor: hundred.body.nextCursor },
      });
      expect(rest.body.messages.map((m: { id: string }) => m.id)).toEqual(ids.slice(0, 20));
      expect(rest.body.nextCursor).toBeNull();
      for (const query of [
        { limit: 0 },
        { limit: 101 },
        { limit: 'abc' },
        { limit: 2.5 },
        { cursor: 'garbage' },
        { cursor: Buffer.from('{"pk":"THREAD#x","sk":"MSG#1"}').toString('base64url') },
        { page: 2 },
      ]) {
        const res = await client.get(`${prefix}/threads/${threadId}`, { query });
        expect(res.status, JSON.stringify(query)).toBe(400);
        expect(res.body.error.code).toBe('VALIDATION_ERROR');
      }
    }
  });

  it('readByPatientAt on older pages: the practitioner’s first answers show as read', async () => {
    await pat.post(`${PT}/threads/${threadId}/read`);
    const pages: { messages: { sender: string; readByPatientAt?: string | null }[] }[] = [];
    let cursor: string | undefined;
    do {
      const res = await doc.get(`${P}/threads/${threadId}`, { query: { cursor, limit: 30 } });
      pages.push(res.body);
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor);
    const answers = pages.flatMap((p) => p.messages).filter((m) => m.sender === 'practitioner');
    expect(answers).toHaveLength(11);
    for (const m of answers) expect(m.readByPatientAt).toEqual(expect.any(String));
    // The oldest page (messages 0–29) holds answers 10 and 20.
    expect(pages).toHaveLength(4);
    expect(pages.at(-1)?.messages.filter((m) => m.sender === 'practitioner')).toHaveLength(2);
  });
});
