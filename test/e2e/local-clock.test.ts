/**
 * The local clock (SPEC 11.1) over HTTP against the local stack with the real
 * handlers and schedules: GET/POST /local/clock, what the handlers, the bus and
 * the schedules read, and the refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../support/http-client.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

const DOC = 'dr-e2e-clock';
const PAT = 'pat-e2e-clock';
const P = '/v1/practitioner';
const HOUR = 3_600_000;

let t: TestApi;
let dr: ApiClient;
let pat: ApiClient;

/** Runs `action` and answers the local clock's readings just before and just after it. */
const between = async <T>(action: () => Promise<T>) => {
  const before = await t.clock.now();
  const result = await action();
  const after = await t.clock.now();
  return { before: before.getTime(), after: after.getTime(), result };
};

const sendToPatient = async (body: string) => {
  const sent = await dr.post(`${P}/threads`, { patientId: PAT, body, replyPolicy: 'none' });
  expect(sent.status).toBe(201);
  return sent.body as { thread: { id: string; createdAt: string }; message: { id: string; sentAt: string } };
};

beforeAll(async () => {
  t = await startTestApi();
  dr = await t.as(DOC, 'practitioner');
  pat = await t.as(PAT, 'patient');
  expect((await dr.put(`${P}/patients/${PAT}`, { firstName: 'Lou', lastName: 'Test' })).status).toBe(201);
});

afterAll(() => t?.stop());

describe('GET/POST /local/clock', () => {
  it('starts at the system time, and time flows', async () => {
    const res = await t.api.get('/local/clock');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['now', 'offsetMs']);
    expect(res.body.offsetMs).toBe(0);
    expect(Math.abs(Date.parse(res.body.now) - Date.now())).toBeLessThan(5_000);
    const later = await t.api.get('/local/clock');
    expect(Date.parse(later.body.now)).toBeGreaterThanOrEqual(Date.parse(res.body.now));
  });

  it('advance: moves forward by an ISO-8601 duration, runs every schedule once, and the handlers see it', async () => {
    const {
      before,
      after,
      result: res,
    } = await between(() => t.api.post('/local/clock', { advance: 'PT25H' }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      offsetMs: expect.any(Number),
      change: { byMs: 25 * HOUR },
      note: expect.stringMatching(/^The clock moved forward 1 d 1 h\. Every schedule ran once/),
    });
    expect(res.body.offsetMs).toBeGreaterThanOrEqual(25 * HOUR - 1_000);
    expect(res.body.offsetMs).toBeLessThanOrEqual(25 * HOUR + 1_000);
    expect(Date.parse(res.body.now)).toBeGreaterThanOrEqual(before + 25 * HOUR);
    expect(Date.parse(res.body.now)).toBeLessThanOrEqual(after);
    // Every schedule ran once and succeeded (in no particular order).
    expect(
      res.body.schedulesRun.map((r: { schedule: string; ok: boolean }) => [r.schedule, r.ok]).sort(),
    ).toEqual([
      ['counters-reconcile', true],
      ['due-work', true],
      ['inbox-reopen', true],
      ['untreated-sweep', true],
    ]);
    expect((await t.api.get('/local/clock')).body.offsetMs).toBe(res.body.offsetMs);

    // A handler's "now" is the local clock's: the message and the thread are dated a day ahead.
    const sent = await between(() => sendToPatient('Bonjour, voici le compte rendu.'));
    const sentAt = Date.parse(sent.result.message.sentAt);
    expect(sentAt).toBeGreaterThanOrEqual(sent.before);
    expect(sentAt).toBeLessThanOrEqual(sent.after);
    expect(sentAt - Date.now()).toBeGreaterThan(24 * HOUR);
    expect(sent.result.thread.createdAt).toBe(sent.result.message.sentAt);
    const view = await pat.get(`/v1/patient/threads/${sent.result.thread.id}`);
    expect(view.body.messages.map((m: { sentAt: string }) => m.sentAt)).toEqual([sent.result.message.sentAt]);

    // The bus stamps the envelope with it too (second precision), and the publisher's metadata.
    await t.bus.drain();
    const event = t.bus.events.find(
      (e) =>
        e.detailType === 'ThreadStarted' &&
        (e.detail as { data: { threadId: string } }).data.threadId === sent.result.thread.id,
    );
    if (!event) throw new Error('no ThreadStarted on the bus');
    expect(Date.parse(event.time)).toBeGreaterThanOrEqual(Math.floor(sent.before / 1000) * 1000);
    expect(Date.parse(event.time)).toBeLessThanOrEqual(sent.after);
    const occurredAt = Date.parse((event.detail as { metadata: { occurredAt: string } }).metadata.occurredAt);
    expect(occurredAt).toBeGreaterThanOrEqual(sent.before);
    expect(occurredAt).toBeLessThanOrEqual(sent.after);
  });

  it('advance delivers what became due (deferred sending), as the schedules run after the move', async () => {
    const now = await t.clock.now();
    const sendAt = new Date(now.getTime() + HOUR).toISOString();
    const scheduled = await dr.post(`${P}/threads`, { patientId: PAT, body: 'Pensez au bilan.', sendAt });
    expect(scheduled.status).toBe(202);
    const threadsBefore = (await pat.get('/v1/patient/threads')).body.items.length;

    const quiet = await t.clock.advance('PT30M', { runSchedules: false });
    expect(quiet.schedulesRun).toEqual([]);
    expect(quiet.note).toMatch(/No schedule ran .*POST \/local\/schedules\/\{name\} or \/local\/sweep/);
    expect((await pat.get('/v1/patient/threads')).body.items).toHaveLength(threadsBefore);

    const moved = await t.clock.advance('PT31M');
    expect(moved.schedulesRun.find((r) => r.schedule === 'due-work')).toMatchObject({
      target: 'due-work-sweep',
      ok: true,
      result: { done: 1 },
    });
    const threads = (await pat.get('/v1/patient/threads')).body.items as Array<{ id: string }>;
    expect(threads).toHaveLength(threadsBefore + 1);
    const view = await pat.get(`/v1/patient/threads/${threads[0]?.id}`);
    expect(view.body.messages.map((m: { body: string }) => m.body)).toEqual(['Pensez au bilan.']);
    expect(Date.parse(view.body.messages[0].sentAt)).toBeGreaterThanOrEqual(Date.parse(sendAt));
  });

  it('set: jumps to a date (the past included, and says so); handlers follow', async () => {
    const past = new Date(Date.now() - 30 * 24 * HOUR);
    const back = await t.api.post('/local/clock', { set: past.toISOString() });
    expect(back.status).toBe(200);
    expect(back.body.change.to).toBe(past.toISOString());
    expect(back.body.change.byMs).toBeLessThan(-30 * 24 * HOUR);
    expect(back.body.offsetMs).toBeLessThan(-29 * 24 * HOUR);
    expect(back.body.schedulesRun).toEqual([]);
    expect(back.body.note).toMatch(
      /^The clock went back \d+ d .*Nothing was undone and no schedule ran: what was written after that time .* is now dated in the future/,
    );
    expect(Math.abs(Date.parse(back.body.now) - past.getTime())).toBeLessThan(5_000);

    const target = '2031-03-10T09:00:00Z';
    const forward = await t.clock.set(target, { runSchedules: false });
    expect(forward.change.to).toBe('2031-03-10T09:00:00.000Z');
    expect(forward.change.byMs).toBeGreaterThan(0);
    const sent = await sendToPatient('Résultats disponibles.');
    expect(sent.message.sentAt).toMatch(/^2031-03-10T09:0/);

    // With an offset, in another zone: the same instant.
    const zoned = await t.clock.set('2031-03-10T11:00:00+02:00', { runSchedules: false });
    expect(zoned.change.to).toBe('2031-03-10T09:00:00.000Z');
  });

  it.each([
    ['a garbage duration', { advance: 'tomorrow' }, ['advance']],
    ['years (no fixed length)', { advance: 'P1Y' }, ['advance']],
    ['a negative duration', { advance: '-PT1H' }, ['advance']],
    ['an empty duration', { advance: 'PT' }, ['advance']],
    ['a number', { advance: 3600 }, ['advance']],
    ['a date that is not ISO-8601', { set: 'next monday' }, ['set']],
    ['a date without time', { set: '2031-03-10' }, ['set']],
    ['both', { advance: 'PT1H', set: '2031-03-10T09:00:00Z' }, []],
    ['neither', {}, []],
    ['an unknown field', { advance: 'PT1H', speed: 2 }, []],
    ['runSchedules not a boolean', { advance: 'PT1H', runSchedules: 'no' }, ['runSchedules']],
  ])('refuses %s: 400 VALIDATION_ERROR in the SPEC shape, the clock unchanged', async (_, body, path) => {
    const before = (await t.api.get('/local/clock')).body.offsetMs;
    const res = await t.api.post('/local/clock', body);
    expect(res.status).toBe(400);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(res.body.error).toEqual({
      code: 'VALIDATION_ERROR',
      message: expect.any(String),
      details: expect.arrayContaining([{ path, code: expect.any(String), message: expect.any(String) }]),
    });
    expect((await t.api.get('/local/clock')).body.offsetMs).toBe(before);
  });

  it('refuses a body that is not JSON (400)', async () => {
    const res = await t.api.request('POST', '/local/clock', {
      rawBody: 'advance=PT1H',
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
  });
});
