/**
 * Issue 5 over HTTP against the local stack (real handlers, rules and schedules):
 * an appointment booked by the agenda (POST /local/events), templates saved,
 * edited and deleted, a templated message sent from the appointment window with
 * the French date and time, and an automation posting exactly one follow-up
 * after AppointmentCompleted — immediately and, delayed, through the due-work
 * schedule (the local clock is advanced past the delay instead of waiting).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../support/http-client.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

const DOC = 'dr-e2e-martin';
const PAT = 'pat-e2e-camille';
const P = '/v1/practitioner';

let t: TestApi;
let dr: ApiClient;
let pat: ApiClient;

const agendaEvent = async (detailType: string, detail: Record<string, unknown>) => {
  const res = await t.api.post('/local/events', { Source: 'agenda', DetailType: detailType, Detail: detail });
  expect(res.status).toBe(202);
  await t.bus.drain();
};

const book = (appointmentId: string, motive: string) =>
  agendaEvent('AppointmentBooked', {
    appointmentId,
    practitionerId: DOC,
    patientId: PAT,
    startsAt: '2030-05-14T14:30:00+02:00',
    motive,
    patient: { firstName: 'Camille', lastName: 'Durand', email: 'camille@example.org' },
  });

/** Completed now on the stack's local clock, unless told when. */
const complete = async (appointmentId: string, completedAt?: string) =>
  agendaEvent('AppointmentCompleted', {
    appointmentId,
    practitionerId: DOC,
    patientId: PAT,
    completedAt: completedAt ?? (await t.clock.now()).toISOString(),
  });

const patientThreads = async () => {
  const res = await pat.get('/v1/patient/threads', { query: { limit: 100 } });
  expect(res.status).toBe(200);
  return res.body.items as Array<{ id: string; appointmentId: string | null }>;
};

const firstMessage = async (threadId: string) => {
  const res = await pat.get(`/v1/patient/threads/${threadId}`);
  expect(res.status).toBe(200);
  return res.body.messages[0].body as string;
};

beforeAll(async () => {
  t = await startTestApi();
  dr = await t.as(DOC, 'practitioner');
  pat = await t.as(PAT, 'patient');
  const settings = await dr.patch(`${P}/settings`, { displayName: 'Dr Martin', timezone: 'Europe/Paris' });
  expect(settings.status).toBe(200);
});

afterAll(() => t?.stop());

describe('templates, the appointment window and automations over HTTP', () => {
  it('the agenda books an appointment: the patient is in the base', async () => {
    await book('appt-e2e-1', 'Suivi');
    const record = await dr.get(`${P}/patients/${PAT}`);
    expect(record.status).toBe(200);
    expect(record.body).toMatchObject({
      firstName: 'Camille',
      lastName: 'Durand',
      email: 'camille@example.org',
    });
  });

  it('saves, lists, edits and deletes templates; refuses unknown variables', async () => {
    const created = await dr.post(`${P}/templates`, {
      name: 'Brouillon',
      body: 'Bonjour {{patient.firstName}}',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.any(String),
      name: 'Brouillon',
      defaultReplyPolicy: null,
    });

    const edited = await dr.put(`${P}/templates/${created.body.id}`, {
      name: 'Brouillon 2',
      body: 'Au revoir {{ patient.lastName }}',
      defaultReplyPolicy: 'none',
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ name: 'Brouillon 2', defaultReplyPolicy: 'none' });
    expect((await dr.get(`${P}/templates/${created.body.id}`)).body.body).toBe(
      'Au revoir {{ patient.lastName }}',
    );

    const unknown = await dr.post(`${P}/templates`, {
      name: 'x',
      body: 'Le <DATE/HEURE RDV> : {{rdv.date}}',
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatchObject({
      code: 'TEMPLATE_VARIABLE_UNKNOWN',
      details: { variable: 'rdv.date' },
    });
    const malformed = await dr.put(`${P}/templates/${created.body.id}`, {
      name: 'x',
      body: 'Bonjour {{patient.firstName}',
    });
    expect(malformed.status).toBe(422);
    expect(malformed.body.error.code).toBe('TEMPLATE_VARIABLE_UNKNOWN');

    const list = await dr.get(`${P}/templates`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({
      items: [{ id: created.body.id, name: 'Brouillon 2' }],
      nextCursor: null,
    });

    const other = await t.as('dr-e2e-other', 'practitioner');
    expect((await other.get(`${P}/templates/${created.body.id}`)).status).toBe(404);
    expect((await other.delete(`${P}/templates/${created.body.id}`)).status).toBe(404);

    expect((await dr.delete(`${P}/templates/${created.body.id}`)).status).toBe(204);
    expect((await dr.get(`${P}/templates/${created.body.id}`)).status).toBe(404);
  });

  it('sends a templated message from the appointment window with the French date and time', async () => {
    const template = await dr.post(`${P}/templates`, {
      name: 'Confirmation',
      body: 'Bonjour {{patient.firstName}}, votre rendez-vous ({{appointment.motive}}) du {{appointment.date}} à {{appointment.time}} avec {{practitioner.name}} est confirmé.',
      defaultReplyPolicy: 'single',
    });
    expect(template.status).toBe(201);
    const expected =
      'Bonjour Camille, votre rendez-vous (Suivi) du mardi 14 mai 2030 à 14h30 avec Dr Martin est confirmé.';

    const preview = await dr.post(`${P}/templates/${template.body.id}/preview`, {
      patientId: PAT,
      appointmentId: 'appt-e2e-1',
    });
    expect(preview).toMatchObject({ status: 200, body: { body: expected } });

    const sent = await dr.post(`${P}/appointments/appt-e2e-1/messages`, { templateId: template.body.id });
    expect(sent.status).toBe(201);
    expect(sent.body.thread).toMatchObject({
      patientId: PAT,
      appointmentId: 'appt-e2e-1',
      replyPolicy: 'single',
    });
    expect(sent.body.message.body).toBe(expected);
    expect(await firstMessage(sent.body.thread.id)).toBe(expected);

    // Without an appointment, its variables have no value: refused, naming the first one.
    const missing = await dr.post(`${P}/threads`, { patientId: PAT, templateId: template.body.id });
    expect(missing.status).toBe(422);
    expect(missing.body.error).toMatchObject({
      code: 'TEMPLATE_VARIABLE_MISSING',
      details: { variable: 'appointment.motive' },
    });
    const both = await dr.post(`${P}/threads`, { patientId: PAT, templateId: template.body.id, body: 'x' });
    expect(both.status).toBe(400);

    const other = await t.as('dr-e2e-other', 'practitioner');
    expect((await other.post(`${P}/appointments/appt-e2e-1/messages`, { body: 'Bonjour' })).status).toBe(404);
  });

  it('an automation posts exactly one follow-up after AppointmentCompleted', async () => {
    const template = await dr.post(`${P}/templates`, {
      name: 'Suivi post-consultation',
      body: 'Bonjour {{patient.firstName}}, suite à votre consultation du {{appointment.date}}, tout va bien ?',
    });
    const automation = await dr.post(`${P}/automations`, {
      trigger: 'appointment_completed',
      motive: 'Suivi',
      templateId: template.body.id,
      replyPolicy: 'single',
      delayMinutes: 0,
    });
    expect(automation.status).toBe(201);
    expect(automation.body).toMatchObject({ motive: 'Suivi', replyPolicy: 'single', delayMinutes: 0 });
    expect((await dr.get(`${P}/automations`)).body.items).toHaveLength(1);
    // The template is in use: it cannot be deleted under the automation.
    expect((await dr.delete(`${P}/templates/${template.body.id}`)).status).toBe(409);

    const before = (await patientThreads()).length;
    await complete('appt-e2e-1');
    // The agenda (or EventBridge) delivers it again, twice.
    await complete('appt-e2e-1');
    await complete('appt-e2e-1');
    const threads = await patientThreads();
    expect(threads).toHaveLength(before + 1);
    const automatic = threads[0];
    expect(automatic?.appointmentId).toBe('appt-e2e-1');
    expect(await firstMessage(automatic?.id ?? '')).toBe(
      'Bonjour Camille, suite à votre consultation du mardi 14 mai 2030, tout va bien ?',
    );

    expect((await dr.delete(`${P}/automations/${automation.body.id}`)).status).toBe(204);
    expect((await dr.get(`${P}/automations`)).body.items).toHaveLength(0);
  });

  it('a delayed automation is sent by the due-work schedule, once', async () => {
    const template = await dr.post(`${P}/templates`, {
      name: 'Vaccin',
      body: 'Rappel : pensez au prochain vaccin, {{patient.firstName}}.',
    });
    const automation = await dr.post(`${P}/automations`, {
      motive: 'Vaccination',
      templateId: template.body.id,
      replyPolicy: 'none',
      delayMinutes: 1,
    });
    expect(automation.status).toBe(201);
    await book('appt-e2e-2', 'Vaccination');
    const before = (await patientThreads()).length;
    // Completed now: due in a minute, so the consumer queues it rather than sending.
    await complete('appt-e2e-2');
    expect(await patientThreads()).toHaveLength(before);

    await t.clock.advance('PT1M1S', { runSchedules: false });
    const run = await t.api.post('/local/schedules/due-work');
    expect(run.status).toBe(200);
    expect(run.body.result).toMatchObject({ done: 1 });
    await t.api.post('/local/schedules/due-work');
    await t.bus.drain();
    const threads = await patientThreads();
    expect(threads).toHaveLength(before + 1);
    expect(await firstMessage(threads[0]?.id ?? '')).toBe('Rappel : pensez au prochain vaccin, Camille.');
  });
});
