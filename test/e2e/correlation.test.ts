/**
 * One request's correlation id, followed end to end: the HTTP call (API
 * Gateway's request id), its log lines, the event it caused on the bus
 * (metadata.correlationId, carried by the outbox item), the consumer's log
 * lines, and the events the consumer caused in turn.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApi, type TestApi } from '../support/index.ts';

let t: TestApi;
const lines: Array<Record<string, unknown>> = [];
beforeAll(async () => {
  t = await startTestApi();
  // The functions log JSON lines to stdout (Powertools): keep the parsed ones.
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
    for (const line of String(chunk).split('\n')) {
      try {
        const parsed: unknown = JSON.parse(line);
        if (parsed && typeof parsed === 'object') lines.push(parsed as Record<string, unknown>);
      } catch {
        // not a JSON log line
      }
    }
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await t?.stop();
});

describe('correlation ids', () => {
  it('follow a request from the HTTP call to the events it causes and the consumers that act on them', async () => {
    const doc = await t.as('dr-corr', 'practitioner');
    const pat = await t.as('pat-corr', 'patient');
    // every_message: the patient's message makes the consumer send (and log) an email.
    expect(
      (
        await doc.patch('/v1/practitioner/settings', {
          displayName: 'Dr Corr',
          notifications: { mode: 'every_message', email: 'dr.corr@cabinet.example' },
        })
      ).status,
    ).toBe(200);
    expect(
      (await doc.put('/v1/practitioner/patients/pat-corr', { firstName: 'Noé', lastName: 'Petit' })).status,
    ).toBe(201);

    const request = await pat.post('/v1/patient/threads', { practitionerId: 'dr-corr', body: 'Bonjour' });
    expect(request.status).toBe(201);
    const requestId = request.headers.get('apigw-requestid');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    await t.bus.drain();

    // The events the request caused carry it: its own, and the one its consumer caused (the email sent).
    const caused = t.bus.events.filter(
      (e) => (e.detail as { metadata?: { correlationId?: string } }).metadata?.correlationId === requestId,
    );
    expect(caused.map((e) => e.detailType).sort()).toEqual([
      'MessageReceived',
      'ThreadStarted',
      'UntreatedDigestSent',
    ]);

    // The consumer's log lines carry it too.
    const consumerLines = lines.filter(
      (l) => l.consumer === 'notify-practitioner' && l.correlation_id === requestId,
    );
    expect(consumerLines.map((l) => l.message)).toContain('Notification email sent');
    const digest = t.bus.events.find((e) => e.detailType === 'UntreatedDigestSent');
    expect(digest).toBeDefined();
    expect((digest?.detail as { metadata?: { correlationId?: string } })?.metadata?.correlationId).toBe(
      requestId,
    );

    // Another request has its own.
    const other = await pat.post(`/v1/patient/threads/${request.body.thread.id}/messages`, {
      body: 'Encore',
    });
    expect(other.headers.get('apigw-requestid')).not.toBe(requestId);
  });
});
