import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditKeys } from '../../shared/db/keys.ts';
import { type ApiClient, startTestApi, type TestApi } from '../support/index.ts';

/**
 * The audit trail over HTTP (issue 7): each route leaves exactly the expected
 * entries — the thread's (GET /v1/practitioner/threads/{id}/audit) and the
 * practitioner's (read from the table, as an operator would) — and refused or
 * replayed requests leave none.
 */
let t: TestApi;
let doc: ApiClient;
let pat: ApiClient;
const DOC = 'dr-audit';
const PAT = 'pat-audit';
const TEXT = 'Mes résultats d’analyse sont inquiétants';

beforeAll(async () => {
  t = await startTestApi();
  doc = await t.as(DOC, 'practitioner');
  // The patient's own verified address (ADR 0010): their notifications, audited below, go there.
  pat = await t.as(PAT, 'patient', { email: 'ines.audit@example.org' });
});
afterAll(() => t?.stop());

type Entry = {
  action: string;
  actor: { role: string; id: string };
  requestId: string;
  objects: Record<string, string>;
};

const threadTrail = async (threadId: string): Promise<Entry[]> => {
  const res = await doc.get(`/v1/practitioner/threads/${threadId}/audit`, { query: { limit: 100 } });
  expect(res.status).toBe(200);
  return res.body.items;
};

const practitionerTrail = async (): Promise<Entry[]> => {
  const { Items = [] } = await t.table.doc.send(
    new QueryCommand({
      TableName: t.table.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': auditKeys.practitionerPartition(DOC) },
      ConsistentRead: true,
    }),
  );
  return Items.map((i) => ({
    action: i.action,
    actor: { role: i.actorRole, id: i.actorId },
    requestId: i.requestId,
    objects: i.objects,
    ...(i.details && { details: i.details }),
  }));
};

/** Runs one request, lets the consumers settle, and returns the entries it added to the trail. */
const step = async (
  trail: () => Promise<Entry[]>,
  request: () => Promise<{ status: number }>,
  status: number,
) => {
  const before = (await trail()).length;
  const res = await request();
  expect(res.status).toBe(status);
  await t.bus.drain();
  const added = (await trail()).slice(before);
  return added.map((e) => `${e.action} by ${e.actor.role}:${e.actor.id}`);
};

describe('each route leaves exactly its audit entries', () => {
  it('practitioner-level changes (settings, patients, templates, automations)', async () => {
    const p = practitionerTrail;
    expect(
      await step(
        p,
        () => doc.patch('/v1/practitioner/settings', { displayName: 'Dr Audit', email: 'dr@audit.example' }),
        200,
      ),
    ).toEqual([`settings.updated by practitioner:${DOC}`]);
    const settings = (await p()).at(-1) as Entry & { details: Record<string, string> };
    expect(settings.details).toEqual({ fields: 'displayName,email' });
    expect(JSON.stringify(settings)).not.toContain('dr@audit.example');

    expect(
      await step(
        p,
        () =>
          doc.put(`/v1/practitioner/patients/${PAT}`, {
            firstName: 'Inès',
            lastName: 'Audit',
            email: 'ines@example.org',
          }),
        201,
      ),
    ).toEqual([`patient.saved by practitioner:${DOC}`]);
    expect(await step(p, () => doc.put(`/v1/practitioner/patients/${PAT}/block`), 200)).toEqual([
      `patient.blocked by practitioner:${DOC}`,
    ]);
    expect(await step(p, () => doc.delete(`/v1/practitioner/patients/${PAT}/block`), 200)).toEqual([
      `patient.unblocked by practitioner:${DOC}`,
    ]);
    expect(await step(p, () => doc.put(`/v1/practitioner/patients/${PAT}/allow`), 200)).toEqual([
      `patient.allowed by practitioner:${DOC}`,
    ]);
    expect(await step(p, () => doc.delete(`/v1/practitioner/patients/${PAT}/allow`), 200)).toEqual([
      `patient.disallowed by practitioner:${DOC}`,
    ]);
    // Refused: nothing recorded.
    expect(await step(p, () => doc.put('/v1/practitioner/patients/pat-unknown/block'), 404)).toEqual([]);
    // Reads: nothing recorded.
    expect(await step(p, () => doc.get(`/v1/practitioner/patients/${PAT}`), 200)).toEqual([]);

    const created: { id?: string } = {};
    expect(
      await step(
        p,
        async () => {
          const res = await doc.post('/v1/practitioner/templates', {
            name: 'Suivi',
            body: 'Bonjour {{patient.firstName}}',
          });
          created.id = res.body.id;
          return res;
        },
        201,
      ),
    ).toEqual([`template.created by practitioner:${DOC}`]);
    expect((await p()).at(-1)?.objects).toEqual({ practitionerId: DOC, templateId: created.id });
    expect(
      await step(
        p,
        () => doc.put(`/v1/practitioner/templates/${created.id}`, { name: 'Suivi', body: 'Bonjour' }),
        200,
      ),
    ).toEqual([`template.updated by practitioner:${DOC}`]);
    const automation: { id?: string } = {};
    expect(
      await step(
        p,
        async () => {
          const res = await doc.post('/v1/practitioner/automations', {
            templateId: created.id,
            delayMinutes: 10,
          });
          automation.id = res.body.id;
          return res;
        },
        201,
      ),
    ).toEqual([`automation.created by practitioner:${DOC}`]);
    expect(await step(p, () => doc.delete(`/v1/practitioner/automations/${automation.id}`), 204)).toEqual([
      `automation.deleted by practitioner:${DOC}`,
    ]);
    expect(await step(p, () => doc.delete(`/v1/practitioner/templates/${created.id}`), 204)).toEqual([
      `template.deleted by practitioner:${DOC}`,
    ]);
  });

  it('thread routes of both roles, and the consumers that act on the thread', async () => {
    let threadId = '';
    const start = await pat.post('/v1/patient/threads', { practitionerId: DOC, body: TEXT });
    expect(start.status).toBe(201);
    threadId = start.body.thread.id;
    await t.bus.drain();
    const trail = () => threadTrail(threadId);
    expect((await trail()).map((e) => `${e.action} by ${e.actor.role}:${e.actor.id}`)).toEqual([
      `thread.started by patient:${PAT}`,
    ]);
    expect((await trail())[0]?.requestId).toEqual(expect.any(String));

    const T = `/v1/practitioner/threads/${threadId}`;
    const PT = `/v1/patient/threads/${threadId}`;
    expect(await step(trail, () => doc.get(T), 200)).toEqual([`thread.viewed by practitioner:${DOC}`]);
    expect(await step(trail, () => doc.get('/v1/practitioner/threads'), 200)).toEqual([]);
    expect(await step(trail, () => doc.post(`${T}/read`), 200)).toEqual([
      `thread.read by practitioner:${DOC}`,
    ]);
    // Nothing unread any more: nothing changes, nothing recorded.
    expect(await step(trail, () => doc.post(`${T}/read`), 200)).toEqual([]);
    expect(
      await step(
        trail,
        () => doc.post(`${T}/messages`, { body: 'Venez me voir', replyPolicy: 'single' }),
        201,
      ),
    ).toEqual([`message.sent by practitioner:${DOC}`, 'patient.notified by system:notify-patient']);
    expect(await step(trail, () => pat.get(PT), 200)).toEqual([]);
    expect(await step(trail, () => pat.post(`${PT}/read`), 200)).toEqual([`thread.read by patient:${PAT}`]);
    let merciId = '';
    const merci = async () => {
      const res = await pat.post(`${PT}/messages`, { body: 'Merci' });
      merciId = res.body.message.id;
      return res;
    };
    expect(await step(trail, merci, 201)).toEqual([`message.sent by patient:${PAT}`]);
    // Refused (the single reply is used up): nothing.
    expect(await step(trail, () => pat.post(`${PT}/messages`, { body: 'Encore' }), 403)).toEqual([]);
    // Safe treat: a reply that closes the thread over the unseen 'Merci' is refused, nothing recorded.
    const goodbye = { body: 'Au revoir', replyPolicy: 'none', markTreated: true };
    expect(await step(trail, () => doc.post(`${T}/messages`, goodbye), 409)).toEqual([]);
    const key = randomUUID();
    expect(
      await step(
        trail,
        () =>
          doc.post(
            `${T}/messages`,
            { ...goodbye, lastSeenMessageId: merciId },
            { headers: { 'idempotency-key': key } },
          ),
        201,
      ),
    ).toEqual([
      `message.sent by practitioner:${DOC}`,
      `thread.treated by practitioner:${DOC}`,
      'patient.notified by system:notify-patient',
    ]);
    // A replayed request writes nothing, audit included.
    expect(
      await step(
        trail,
        () =>
          doc.post(
            `${T}/messages`,
            { ...goodbye, lastSeenMessageId: merciId },
            { headers: { 'idempotency-key': key } },
          ),
        201,
      ),
    ).toEqual([]);
    expect(await step(trail, () => doc.post(`${T}/treat`), 409)).toEqual([]);
    expect(await step(trail, () => doc.delete(T), 200)).toEqual([`thread.archived by practitioner:${DOC}`]);

    // Every entry carries the thread's ids, never its text. A view is written beside the read,
    // before the thread is known: it names the thread and the viewer (the patient is the thread's).
    const entries = await trail();
    for (const entry of entries) {
      if (entry.action === 'thread.viewed') {
        expect(entry.objects).toEqual({ threadId, practitionerId: DOC });
      } else {
        expect(entry.objects).toMatchObject({ threadId, practitionerId: DOC, patientId: PAT });
      }
    }
    expect(entries.some((entry) => entry.action === 'thread.viewed')).toBe(true);
    expect(JSON.stringify(entries)).not.toContain('résultats');
  });

  it('a practitioner thread, the appointment window and a retraction', async () => {
    await t.api.post('/local/events', {
      Source: 'agenda',
      DetailType: 'AppointmentBooked',
      Detail: {
        appointmentId: 'appt-audit',
        practitionerId: DOC,
        patientId: PAT,
        startsAt: '2030-05-14T12:30:00.000Z',
        motive: 'Suivi',
        patient: { firstName: 'Inès', lastName: 'Audit', email: 'ines@example.org' },
      },
    });
    await t.bus.drain();
    const fromAppointment = await doc.post('/v1/practitioner/appointments/appt-audit/messages', {
      body: 'À propos de votre rendez-vous',
      replyPolicy: 'none',
    });
    expect(fromAppointment.status).toBe(201);
    await t.bus.drain();
    const appointmentTrail = await threadTrail(fromAppointment.body.thread.id);
    expect(appointmentTrail.map((e) => e.action)).toEqual(['thread.started', 'patient.notified']);
    expect(appointmentTrail[0]?.objects.appointmentId).toBe('appt-audit');

    const sent = await doc.post('/v1/practitioner/threads', {
      patientId: PAT,
      body: 'Oups',
      replyPolicy: 'none',
    });
    const threadId: string = sent.body.thread.id;
    await t.bus.drain();
    const trail = () => threadTrail(threadId);
    expect(
      await step(
        trail,
        () => doc.delete(`/v1/practitioner/threads/${threadId}/messages/${sent.body.message.id}`),
        200,
      ),
    ).toEqual([`message.retracted by practitioner:${DOC}`]);
    expect((await trail()).map((e) => e.action)).toEqual([
      'thread.started',
      'patient.notified',
      'message.retracted',
    ]);
  });

  it('is 404 for another practitioner’s thread (and 401 for a patient, whose token is of the other user pool)', async () => {
    const start = await pat.post('/v1/patient/threads', { practitionerId: DOC, body: 'Bonjour' });
    const other = await t.as('dr-audit-other', 'practitioner');
    const res = await other.get(`/v1/practitioner/threads/${start.body.thread.id}/audit`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect((await pat.get(`/v1/practitioner/threads/${start.body.thread.id}/audit`)).status).toBe(401);
  });
});
