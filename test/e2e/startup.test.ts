/**
 * No 5xx from startup: the local API opens its port before the handlers are loaded
 * (the token issuer needs the port), and answers 503 STARTING with Retry-After
 * until every handler is loaded; /local/health says `starting`, then `ready`.
 * The stack is hammered from the moment its port opens, with the real handlers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tokenFor } from '../support/auth.ts';
import { type ApiResponse, createApiClient } from '../support/http-client.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

interface Seen {
  worker: number;
  call: string;
  /** Whether startTestApi had resolved when the request was sent. */
  sentAfterStart: boolean;
  res: ApiResponse;
}

const WORKERS = 4;
/** Rounds each worker still sends once the stack has started. */
const ROUNDS_AFTER_START = 2;

let t: TestApi | undefined;
afterAll(() => t?.stop());

describe('local stack startup', () => {
  it('answers 503 STARTING with Retry-After: 1 (never a 500) until every handler is loaded, then normally', async () => {
    const token = await tokenFor('dr-startup', 'practitioner');
    const seen: Seen[] = [];
    let started = false;
    const workers: Promise<void>[] = [];

    const hammer = async (baseUrl: string, worker: number) => {
      const api = createApiClient(baseUrl);
      const calls: Record<string, () => Promise<ApiResponse>> = {
        settings: () => api.as(token).get('/v1/practitioner/settings'),
        'patient threads without a token': () => api.get('/v1/patient/threads'),
        health: () => api.get('/local/health'),
        token: () => api.post('/local/token', { sub: 'dr-startup', role: 'practitioner' }),
        clock: () => api.get('/local/clock'),
      };
      let roundsAfterStart = 0;
      while (roundsAfterStart < ROUNDS_AFTER_START) {
        const sentAfterStart = started;
        for (const [call, send] of Object.entries(calls)) {
          seen.push({ worker, call, sentAfterStart, res: await send() });
        }
        if (sentAfterStart) roundsAfterStart += 1;
      }
    };

    t = await startTestApi({
      onApiListening: (url) => {
        for (let worker = 0; worker < WORKERS; worker++) workers.push(hammer(url, worker));
      },
    });
    started = true;
    await Promise.all(workers);

    // Never a 5xx other than the 503 STARTING, and that one always says when to retry.
    expect(seen.filter((s) => s.res.status >= 500 && s.res.status !== 503).map((s) => s.res.text)).toEqual(
      [],
    );
    const starting = seen.filter((s) => s.res.status === 503);
    for (const s of starting) {
      expect(s.res.headers.get('retry-after'), s.call).toBe('1');
      if (s.call === 'health') expect(s.res.body).toEqual({ status: 'starting' });
      else {
        expect(s.res.body, s.call).toEqual({ error: { code: 'STARTING', message: expect.any(String) } });
      }
    }
    // The startup was observed: API routes and health answered "starting" before the stack was up…
    expect(starting.filter((s) => s.call === 'settings').length).toBeGreaterThan(0);
    expect(starting.filter((s) => s.call === 'health').length).toBeGreaterThan(0);
    expect(starting.every((s) => !s.sentAfterStart)).toBe(true);

    // …and once a worker got a normal answer, it never saw "starting" again.
    for (let worker = 0; worker < WORKERS; worker++) {
      const mine = seen.filter((s) => s.worker === worker);
      const firstNormal = mine.findIndex((s) => s.res.status !== 503);
      expect(firstNormal).toBeGreaterThanOrEqual(0);
      expect(mine.slice(firstNormal).filter((s) => s.res.status === 503)).toEqual([]);
    }

    // Normal answers once started.
    const onceStarted = (call: string) =>
      seen.filter((s) => s.sentAfterStart && s.call === call).map((s) => s.res);
    expect(onceStarted('settings').map((r) => r.status)).toEqual(
      Array(WORKERS * ROUNDS_AFTER_START).fill(200),
    );
    expect(onceStarted('patient threads without a token').every((r) => r.status === 401)).toBe(true);
    expect(onceStarted('health').every((r) => r.status === 200 && r.body.status === 'ready')).toBe(true);
    expect(onceStarted('token').every((r) => r.status === 200 && typeof r.body.token === 'string')).toBe(
      true,
    );
    expect(onceStarted('clock').every((r) => r.status === 200 && r.body.offsetMs === 0)).toBe(true);
  });
});
