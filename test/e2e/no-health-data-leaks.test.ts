import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/index.ts';

/**
 * Runs an exchange with verbose logging on and checks that neither the process
 * output (handler logs) nor the events put on the bus carry any message text.
 */
const SECRET = 'Saignements depuis trois jours, traitement anticoagulant';
const REPLY = 'Arrêtez le traitement et consultez aujourd’hui';

let t: TestApi;
const captured: string[] = [];
const originals = {
  out: process.stdout.write.bind(process.stdout),
  err: process.stderr.write.bind(process.stderr),
};

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
  const capture =
    (original: typeof process.stdout.write) =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      captured.push(String(chunk));
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    };
  process.stdout.write = capture(originals.out) as typeof process.stdout.write;
  process.stderr.write = capture(originals.err) as typeof process.stderr.write;
  t = await startTestApi({ quiet: false });
});

afterAll(async () => {
  process.stdout.write = originals.out;
  process.stderr.write = originals.err;
  delete process.env.POWERTOOLS_LOGGER_LOG_EVENT;
  await t?.stop();
});

describe('health data stays in its place', () => {
  it('no message text in logs or events', async () => {
    const doc = await t.as('dr-logs', 'practitioner');
    const pat = await t.as('pat-logs', 'patient');
    await doc.put('/v1/practitioner/patients/pat-logs', { firstName: 'Nom', lastName: 'Patient' });
    const started = await pat.post('/v1/patient/threads', { practitionerId: 'dr-logs', body: SECRET });
    const threadId = started.body.thread.id;
    await doc.post(`/v1/practitioner/threads/${threadId}/messages`, { body: REPLY, replyPolicy: 'single' });
    await pat.post(`/v1/patient/threads/${threadId}/read`);
    const suite = await pat.post(`/v1/patient/threads/${threadId}/messages`, { body: `${SECRET} (suite)` });
    await pat.post(`/v1/patient/threads/${threadId}/messages`, { body: `${SECRET} (refusé)` });
    const treated = await doc.post(`/v1/practitioner/threads/${threadId}/treat`, {
      lastSeenMessageId: suite.body.message.id,
    });
    expect(treated.status).toBe(200);
    await t.bus.drain();

    const events = JSON.stringify(t.bus.events);
    expect(t.bus.events.length).toBeGreaterThanOrEqual(6);
    expect(events).not.toContain('Saignements');
    expect(events).not.toContain('Arrêtez');

    const output = captured.join('');
    expect(output.length).toBeGreaterThan(0);
    expect(output).not.toContain('Saignements');
    expect(output).not.toContain('Arrêtez');
  });
});
