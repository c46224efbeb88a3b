/**
 * Nothing lost on a crash (the transactional outbox). Faults are injected into
 * the real functions of the local stack, at each point a write can die:
 *
 *   - a route dies right after its transaction committed (the client gets a 500):
 *     its events are in the outbox, the stream carries them anyway;
 *   - the outbox publisher dies before putting a batch on the bus: the batch is
 *     retried, the events go out once;
 *   - the outbox publisher dies after putting a batch on the bus: the batch is
 *     retried and the events go out twice — and the consumers' effects still
 *     happen exactly once (one patient email, one digest a week, one automation run).
 */
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaHandler } from '../../local/functions.ts';
import { createLogger } from '../../local/logger.ts';
import { settledEmailsTo, startTestApi, type TestApi } from '../support/index.ts';

type Fault = 'none' | 'route-dies-after-commit' | 'publisher-dies-before-put' | 'publisher-dies-after-put';
let fault: Fault = 'none';
/** Crashes injected so far, by where. */
const injected = { afterCommit: 0, beforePut: 0, afterPut: 0 };

class InjectedCrash extends Error {
  override readonly name = 'InjectedCrash';
}

/** The fault plan: which function dies, and when (once per armed fault). */
const wrapHandlers = (name: string, handler: LambdaHandler): LambdaHandler => {
  const real = handler as (event: unknown, context: Context) => Promise<unknown>;
  if (name === 'practitioner-reply' || name === 'patient-write') {
    return (async (event: unknown, context: Context) => {
      const response = await real(event, context);
      if (fault === 'route-dies-after-commit') {
        fault = 'none';
        injected.afterCommit += 1;
        throw new InjectedCrash('the function died after its commit');
      }
      return response;
    }) as LambdaHandler;
  }
  if (name === 'outbox-publisher') {
    return (async (event: unknown, context: Context) => {
      if (fault === 'publisher-dies-before-put') {
        fault = 'none';
        injected.beforePut += 1;
        throw new InjectedCrash('the publisher died before PutEvents');
      }
      const response = await real(event, context);
      if (fault === 'publisher-dies-after-put') {
        fault = 'none';
        injected.afterPut += 1;
        throw new InjectedCrash('the publisher died after PutEvents');
      }
      return response;
    }) as LambdaHandler;
  }
  return handler;
};

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({
    wrapHandlers,
    logger: createLogger('crash-test', { quiet: true, err: () => {} }),
  });
});
afterAll(() => t?.stop());

const PRACTITIONER = 'dr-crash';
const EMAIL = 'dr.crash@cabinet.example';

const emailsTo = (address: string) => settledEmailsTo(t, address);

/** How many times an event about this message reached the bus. */
const onBus = (detailType: string, messageId: string) =>
  t.bus.events.filter(
    (e) =>
      e.detailType === detailType &&
      (e.detail as { data?: { messageId?: string } }).data?.messageId === messageId,
  ).length;

const enrol = async (patientId: string, email: string) => {
  const doc = await t.as(PRACTITIONER, 'practitioner');
  expect(
    (await doc.put(`/v1/practitioner/patients/${patientId}`, { firstName: 'Léa', lastName: 'Roux', email }))
      .status,
  ).toBe(201);
};

describe('a crash between the commit and the bus loses nothing', () => {
  beforeAll(async () => {
    const doc = await t.as(PRACTITIONER, 'practitioner');
    expect(
      (await doc.patch('/v1/practitioner/settings', { displayName: 'Dr Crash', email: EMAIL })).status,
    ).toBe(200);
  });

  it('a route dying right after its commit: the patient is still told, once', async () => {
    await enrol('pat-crash-1', 'lea.1@example.org');
    const doc = await t.as(PRACTITIONER, 'practitioner');
    // Their own verified address, recorded by their request (ADR 0010).
    const pat = await t.as('pat-crash-1', 'patient', { email: 'lea.1@example.org' });
    const request = await pat.post('/v1/patient/threads', { practitionerId: PRACTITIONER, body: 'Bonjour' });
    const threadId: string = request.body.thread.id;

    fault = 'route-dies-after-commit';
    const reply = await doc.post(`/v1/practitioner/threads/${threadId}/messages`, { body: 'Venez demain' });
    // What the client sees of a function that died: a 500. What happened: the reply committed.
    expect(reply.status).toBe(500);
    expect(injected.afterCommit).toBe(1);
    const page = await pat.get(`/v1/patient/threads/${threadId}`);
    const sent = page.body.messages.find((m: { body: string }) => m.body === 'Venez demain');
    expect(sent).toBeDefined();

    expect(await emailsTo('lea.1@example.org')).toHaveLength(1);
    expect(onBus('MessageSent', sent.id)).toBe(1);
  });

  it('the publisher dying before PutEvents: the batch is retried, the events go out once', async () => {
    await enrol('pat-crash-2', 'lea.2@example.org');
    const doc = await t.as(PRACTITIONER, 'practitioner');
    // Their own verified address, recorded by their request (ADR 0010).
    const pat = await t.as('pat-crash-2', 'patient', { email: 'lea.2@example.org' });
    const request = await pat.post('/v1/patient/threads', { practitionerId: PRACTITIONER, body: 'Bonjour' });
    await t.bus.drain();

    fault = 'publisher-dies-before-put';
    const reply = await doc.post(`/v1/practitioner/threads/${request.body.thread.id}/messages`, {
      body: 'Oui',
    });
    expect(reply.status).toBe(201);
    expect(await emailsTo('lea.2@example.org')).toHaveLength(1);
    expect(injected.beforePut).toBe(1);
    expect(onBus('MessageSent', reply.body.message.id)).toBe(1);
  });

  it('the publisher dying after PutEvents: events go out twice, the patient email once', async () => {
    await enrol('pat-crash-3', 'lea.3@example.org');
    const doc = await t.as(PRACTITIONER, 'practitioner');
    // Their own verified address, recorded by their request (ADR 0010).
    const pat = await t.as('pat-crash-3', 'patient', { email: 'lea.3@example.org' });
    const request = await pat.post('/v1/patient/threads', { practitionerId: PRACTITIONER, body: 'Bonjour' });
    await t.bus.drain();

    fault = 'publisher-dies-after-put';
    const reply = await doc.post(`/v1/practitioner/threads/${request.body.thread.id}/messages`, {
      body: 'Oui',
    });
    expect(reply.status).toBe(201);
    expect(await emailsTo('lea.3@example.org')).toHaveLength(1);
    expect(injected.afterPut).toBe(1);
    // At least once on the bus (the retried batch put it again): exactly once in effect.
    expect(onBus('MessageSent', reply.body.message.id)).toBe(2);
  });

  it('a weekly digest under a crash after PutEvents and one after a commit: one digest', async () => {
    await enrol('pat-crash-4', 'lea.4@example.org');
    const pat = await t.as('pat-crash-4', 'patient');
    // The practitioner's inbox already holds untreated messages from the tests above (3 requests).
    const before = await emailsTo(EMAIL);
    expect(before).toHaveLength(0);
    fault = 'publisher-dies-after-put';
    const request = await pat.post('/v1/patient/threads', {
      practitionerId: PRACTITIONER,
      body: 'Une 4e demande',
    });
    expect(request.status).toBe(201);
    expect(await emailsTo(EMAIL)).toHaveLength(1);
    fault = 'route-dies-after-commit';
    const more = await pat.post(`/v1/patient/threads/${request.body.thread.id}/messages`, {
      body: 'Et encore',
    });
    expect(more.status).toBe(500);
    expect(await emailsTo(EMAIL)).toHaveLength(1);
  });

  it('an automation run under a crash after PutEvents: one message, one email', async () => {
    await enrol('pat-crash-5', 'lea.5@example.org');
    const doc = await t.as(PRACTITIONER, 'practitioner');
    const template = await doc.post('/v1/practitioner/templates', {
      name: 'Suivi',
      body: 'Bonjour {{patient.firstName}}, comment allez-vous depuis votre rendez-vous ?',
    });
    expect(template.status).toBe(201);
    expect(
      (
        await doc.post('/v1/practitioner/automations', {
          trigger: 'appointment_completed',
          templateId: template.body.id,
          replyPolicy: 'single',
          delayMinutes: 0,
        })
      ).status,
    ).toBe(201);
    const agenda = (detailType: string, detail: Record<string, unknown>) =>
      t.api.post('/local/events', { Source: 'agenda', DetailType: detailType, Detail: detail });
    expect(
      (
        await agenda('AppointmentBooked', {
          appointmentId: 'appt-crash',
          practitionerId: PRACTITIONER,
          patientId: 'pat-crash-5',
          startsAt: '2026-12-01T09:00:00.000Z',
          motive: 'Suivi',
          patient: { firstName: 'Léa', lastName: 'Roux', email: 'lea.5@example.org' },
        })
      ).status,
    ).toBe(202);
    await t.bus.drain();
    fault = 'publisher-dies-after-put';
    expect(
      (
        await agenda('AppointmentCompleted', {
          appointmentId: 'appt-crash',
          practitionerId: PRACTITIONER,
          patientId: 'pat-crash-5',
          completedAt: new Date().toISOString(),
        })
      ).status,
    ).toBe(202);
    expect(await emailsTo('lea.5@example.org')).toHaveLength(1);
    expect(injected.afterPut).toBeGreaterThanOrEqual(2);
    const pat = await t.as('pat-crash-5', 'patient');
    const threads = (await pat.get('/v1/patient/threads')).body.items;
    expect(threads).toHaveLength(1);
  });

  it('no stream record was given up, and nothing reached the dead letters', () => {
    expect(t.stack.streams.deadLetters).toEqual([]);
    expect(t.bus.deadLetters).toEqual([]);
  });
});
