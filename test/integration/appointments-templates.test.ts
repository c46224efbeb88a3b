import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../shared/db/keys.ts';
import { sendFromAppointment } from '../../shared/use-cases/appointments.ts';
import { createAutomation, deleteAutomation } from '../../shared/use-cases/automations.ts';
import { getPatientThread } from '../../shared/use-cases/patient-messaging.ts';
import {
  getPatientRecord,
  putPatientRecord,
  updateSettings,
} from '../../shared/use-cases/practitioner-admin.ts';
import {
  getPractitionerThread,
  replyAsPractitioner,
  startPractitionerThread,
} from '../../shared/use-cases/practitioner-messaging.ts';
import {
  createTemplate,
  deleteTemplate,
  getTemplate,
  listTemplates,
  previewTemplate,
  replaceTemplate,
} from '../../shared/use-cases/templates.ts';
import { agenda } from './agenda-helpers.ts';
import { createTestContext, type TestContext } from './harness.ts';

const DOC = 'dr-martin';
const OTHER_DOC = 'dr-other';
const PAT = 'pat-camille';
const APPT = 'appt-1';

let ctx: TestContext;
let events: ReturnType<typeof agenda>;

beforeEach(async () => {
  ctx = await createTestContext('2024-05-10T08:00:00.000Z');
  events = agenda(ctx);
  await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(DOC), {
    displayName: 'Dr Martin',
    timezone: 'Europe/Paris',
  });
});

const appointment = () => ctx.deps.appointments.get(DOC, APPT);

describe('appointments from the agenda', () => {
  it('AppointmentBooked keeps the appointment and creates the patient record', async () => {
    await events.deliver(
      'AppointmentBooked',
      events.booked(DOC, APPT, PAT, { startsAt: '2024-05-14T14:30:00+02:00' }),
    );
    expect(await appointment()).toMatchObject({
      appointmentId: APPT,
      practitionerId: DOC,
      patientId: PAT,
      startsAt: '2024-05-14T12:30:00.000Z',
      motive: 'Suivi',
      status: 'booked',
    });
    expect(
      await getPatientRecord(ctx.as('practitioner-get-patient'), ctx.practitioner(DOC), PAT),
    ).toMatchObject({
      firstName: 'Camille',
      lastName: 'Durand',
      email: 'camille@example.org',
    });
  });

  it('updates names and email but keeps what the practitioner set on the record', async () => {
    await putPatientRecord(ctx.as('practitioner-put-patient'), ctx.practitioner(DOC), PAT, {
      firstName: 'Cam',
      lastName: 'D.',
      email: 'old@example.org',
      attributes: {
        primaryCare: true,
        ald: true,
        chronic: false,
        pregnancyFollowUp: false,
        needsSupport: false,
      },
    });
    await ctx.db.client.send(
      new UpdateCommand({
        TableName: ctx.db.tableName,
        Key: keys.patientRecord(DOC, PAT),
        UpdateExpression: 'SET blocked = :true',
        ExpressionAttributeValues: { ':true': true },
      }),
    );
    await events.deliver('AppointmentBooked', events.booked(DOC, APPT, PAT, { email: null }));
    expect(
      await getPatientRecord(ctx.as('practitioner-get-patient'), ctx.practitioner(DOC), PAT),
    ).toMatchObject({
      firstName: 'Camille',
      lastName: 'Durand',
      email: 'old@example.org',
      blocked: true,
      attributes: { primaryCare: true, ald: true },
    });
  });

  it('a duplicate delivery changes nothing', async () => {
    const detail = events.booked(DOC, APPT, PAT);
    await events.deliver('AppointmentBooked', detail, { id: 'evt-1' });
    const first = await appointment();
    ctx.clock.advance(60_000);
    await events.deliver('AppointmentBooked', detail, { id: 'evt-1', time: '2024-05-10T08:00:00Z' });
    const second = await appointment();
    expect({ ...second, updatedAt: first?.updatedAt }).toEqual(first);
  });

  it('a cancel delivered before the booking is not undone by the booking', async () => {
    await events.deliver('AppointmentCancelled', events.cancelled(DOC, APPT, PAT));
    await events.deliver('AppointmentBooked', events.booked(DOC, APPT, PAT));
    expect(await appointment()).toMatchObject({ status: 'cancelled', startsAt: '2024-05-14T12:30:00.000Z' });
    await events.deliver('AppointmentCompleted', events.completed(DOC, APPT, PAT));
    expect((await appointment())?.status).toBe('cancelled');
  });

  it('an older booking (a replayed move) never overwrites a newer one', async () => {
    await events.deliver(
      'AppointmentBooked',
      events.booked(DOC, APPT, PAT, { startsAt: '2024-05-20T09:00:00.000Z' }),
      {
        time: '2024-05-10T09:00:00Z',
      },
    );
    await events.deliver(
      'AppointmentBooked',
      events.booked(DOC, APPT, PAT, { startsAt: '2024-05-14T12:30:00.000Z' }),
      {
        time: '2024-05-10T08:00:00Z',
      },
    );
    expect((await appointment())?.startsAt).toBe('2024-05-20T09:00:00.000Z');
  });

  it('ends in the same state whatever the order and the duplicates', async () => {
    // Distinct orders only: the same kinds twice make repeated permutations.
    const permutations = (items: string[]): string[][] =>
      items.length <= 1
        ? [items]
        : items.flatMap((item, i) =>
            permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [item, ...p]),
          );
    const kinds = ['AppointmentBooked', 'AppointmentCompleted', 'AppointmentCancelled'] as const;
    let n = 0;
    for (const withCancel of [true, false]) {
      const sequence = withCancel
        ? [...kinds, ...kinds]
        : ['AppointmentBooked', 'AppointmentCompleted', 'AppointmentBooked', 'AppointmentCompleted'];
      const distinct = [...new Set(permutations(sequence).map((o) => o.join(',')))].map((o) => o.split(','));
      for (const order of distinct) {
        const id = `appt-perm-${n++}`;
        for (const kind of order) {
          const detail =
            kind === 'AppointmentBooked'
              ? events.booked(DOC, id, PAT)
              : kind === 'AppointmentCancelled'
                ? events.cancelled(DOC, id, PAT)
                : events.completed(DOC, id, PAT);
          await events.deliver(kind, detail);
        }
        const stored = await ctx.deps.appointments.get(DOC, id);
        expect([order.join(','), stored?.status, stored?.startsAt]).toEqual([
          order.join(','),
          withCancel ? 'cancelled' : 'completed',
          '2024-05-14T12:30:00.000Z',
        ]);
      }
    }
  }, 120_000);

  it('refuses a malformed detail (so it is retried, then dead-lettered) and writes nothing', async () => {
    const { patient: _p, ...withoutPatient } = events.booked(DOC, APPT, PAT);
    await expect(events.deliver('AppointmentBooked', withoutPatient)).rejects.toThrow(
      /Invalid AppointmentBooked/,
    );
    expect(await appointment()).toBeNull();
  });
});

describe('templates', () => {
  const doc = () => ctx.practitioner(DOC);

  it('saves, lists, edits and deletes', async () => {
    const created = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'Rappel',
      body: 'Bonjour {{patient.firstName}}, à {{ appointment.time }}.',
      defaultReplyPolicy: 'none',
    });
    expect(created).toMatchObject({
      name: 'Rappel',
      defaultReplyPolicy: 'none',
      variables: ['patient.firstName', 'appointment.time'],
    });
    expect(
      (await listTemplates(ctx.as('practitioner-list-templates'), doc(), { limit: 20 })).items.map(
        (t) => t.id,
      ),
    ).toEqual([created.id]);

    const edited = await replaceTemplate(ctx.as('practitioner-replace-template'), doc(), created.id, {
      name: 'Rappel RDV',
      body: 'Merci {{patient.lastName}}',
    });
    expect(edited).toMatchObject({
      id: created.id,
      name: 'Rappel RDV',
      body: 'Merci {{patient.lastName}}',
      defaultReplyPolicy: null,
    });
    expect(await getTemplate(ctx.as('practitioner-get-template'), doc(), created.id)).toMatchObject({
      name: 'Rappel RDV',
    });

    await deleteTemplate(ctx.as('practitioner-delete-template'), doc(), created.id);
    await expect(getTemplate(ctx.as('practitioner-get-template'), doc(), created.id)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(
      deleteTemplate(ctx.as('practitioner-delete-template'), doc(), created.id),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses an unknown variable on create and on edit, saving nothing', async () => {
    await expect(
      createTemplate(ctx.as('practitioner-create-template'), doc(), {
        name: 'x',
        body: 'Bonjour {{patient.prenom}}',
      }),
    ).rejects.toMatchObject({
      code: 'TEMPLATE_VARIABLE_UNKNOWN',
      details: { variable: 'patient.prenom' },
    });
    expect((await listTemplates(ctx.as('practitioner-list-templates'), doc(), { limit: 20 })).items).toEqual(
      [],
    );
    const t = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'ok',
      body: 'Bonjour',
    });
    await expect(
      replaceTemplate(ctx.as('practitioner-replace-template'), doc(), t.id, {
        name: 'ok',
        body: 'Le {{appointment.date}',
      }),
    ).rejects.toMatchObject({
      code: 'TEMPLATE_VARIABLE_UNKNOWN',
    });
    expect((await getTemplate(ctx.as('practitioner-get-template'), doc(), t.id)).body).toBe('Bonjour');
  });

  it("keeps another practitioner's templates and appointments out of reach (404)", async () => {
    const t = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'x',
      body: 'Bonjour',
    });
    const other = ctx.practitioner(OTHER_DOC);
    await expect(getTemplate(ctx.as('practitioner-get-template'), other, t.id)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(
      replaceTemplate(ctx.as('practitioner-replace-template'), other, t.id, { name: 'y', body: 'z' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(deleteTemplate(ctx.as('practitioner-delete-template'), other, t.id)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await events.deliver('AppointmentBooked', events.booked(DOC, APPT, PAT));
    await expect(
      sendFromAppointment(ctx.as('practitioner-appointment-message'), other, APPT, { body: 'Bonjour' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect((await getTemplate(ctx.as('practitioner-get-template'), doc(), t.id)).name).toBe('x');
  });

  it('previews for a patient and an appointment, in French and in the practitioner time zone', async () => {
    await events.deliver('AppointmentBooked', events.booked(DOC, APPT, PAT));
    const t = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'Confirmation',
      body: 'Bonjour {{patient.firstName}} {{patient.lastName}}, votre rendez-vous ({{appointment.motive}}) du {{appointment.date}} à {{appointment.time}} avec {{practitioner.name}} est confirmé.',
    });
    expect(
      await previewTemplate(ctx.as('practitioner-preview-template'), doc(), t.id, {
        patientId: PAT,
        appointmentId: APPT,
      }),
    ).toEqual({
      body: 'Bonjour Camille Durand, votre rendez-vous (Suivi) du mardi 14 mai 2024 à 14h30 avec Dr Martin est confirmé.',
    });
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { timezone: 'America/Guadeloupe' });
    expect(
      (
        await previewTemplate(ctx.as('practitioner-preview-template'), doc(), t.id, {
          patientId: PAT,
          appointmentId: APPT,
        })
      ).body,
    ).toContain('du mardi 14 mai 2024 à 8h30');
  });

  it('names the missing variable when the preview has no appointment', async () => {
    await events.deliver('AppointmentBooked', events.booked(DOC, APPT, PAT));
    const t = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'x',
      body: 'Votre RDV du {{appointment.date}}',
    });
    await expect(
      previewTemplate(ctx.as('practitioner-preview-template'), doc(), t.id, { patientId: PAT }),
    ).rejects.toMatchObject({
      code: 'TEMPLATE_VARIABLE_MISSING',
      details: { variable: 'appointment.date' },
    });
    await expect(
      previewTemplate(ctx.as('practitioner-preview-template'), doc(), t.id, { patientId: 'pat-unknown' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('cannot delete a template an automation sends (409) until the automation is gone', async () => {
    const t = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'x',
      body: 'Merci de votre visite',
    });
    const automation = await createAutomation(ctx.as('practitioner-create-automation'), doc(), {
      trigger: 'appointment_completed',
      templateId: t.id,
      delayMinutes: 0,
    });
    await expect(deleteTemplate(ctx.as('practitioner-delete-template'), doc(), t.id)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await deleteAutomation(ctx.as('practitioner-delete-automation'), doc(), automation.id);
    await deleteTemplate(ctx.as('practitioner-delete-template'), doc(), t.id);
    await expect(getTemplate(ctx.as('practitioner-get-template'), doc(), t.id)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('sending with a template', () => {
  const doc = () => ctx.practitioner(DOC);

  beforeEach(async () => {
    await events.deliver('AppointmentBooked', events.booked(DOC, APPT, PAT));
  });

  it('stores the rendered text and applies the template default reply policy', async () => {
    const t = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'x',
      body: 'Bonjour {{patient.firstName}}, ici {{practitioner.name}}.',
      defaultReplyPolicy: 'until_closed',
    });
    const sent = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      templateId: t.id,
    });
    expect(sent.message).toMatchObject({ body: 'Bonjour Camille, ici Dr Martin.' });
    expect(sent.thread).toMatchObject({ replyPolicy: 'until_closed', appointmentId: null });
    const stored = await getPatientThread(ctx.as('patient-get-thread'), ctx.patient(PAT), sent.thread.id);
    expect(stored.messages[0]).toMatchObject({ body: 'Bonjour Camille, ici Dr Martin.' });
    // The request's policy wins over the template's.
    const none = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      templateId: t.id,
      replyPolicy: 'none',
    });
    expect(none.thread.replyPolicy).toBe('none');
  });

  it('refuses a variable without value and writes nothing', async () => {
    const t = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'x',
      body: 'RDV le {{appointment.date}}',
    });
    await expect(
      startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
        patientId: PAT,
        templateId: t.id,
      }),
    ).rejects.toMatchObject({
      code: 'TEMPLATE_VARIABLE_MISSING',
      details: { variable: 'appointment.date' },
    });
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { displayName: null });
    const named = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'y',
      body: 'De la part de {{practitioner.name}}',
    });
    await expect(
      startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
        patientId: PAT,
        templateId: named.id,
      }),
    ).rejects.toMatchObject({
      code: 'TEMPLATE_VARIABLE_MISSING',
      details: { variable: 'practitioner.name' },
    });
    expect(await ctx.deps.counters.patient(PAT)).toEqual({ unreadMessages: 0 });
    expect(ctx.published).toEqual([]);
  });

  it('with appointmentId, the thread carries it and the appointment variables are filled', async () => {
    const t = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'x',
      body: 'RDV le {{appointment.date}} à {{appointment.time}}',
    });
    const sent = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      templateId: t.id,
      appointmentId: APPT,
    });
    expect(sent.thread.appointmentId).toBe(APPT);
    expect(sent.message).toMatchObject({ body: 'RDV le mardi 14 mai 2024 à 14h30' });
    await expect(
      startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
        patientId: 'pat-other',
        body: 'x',
        appointmentId: APPT,
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a reply with a template uses the thread patient and its appointment', async () => {
    const first = await sendFromAppointment(ctx.as('practitioner-appointment-message'), doc(), APPT, {
      body: 'Bonjour',
      replyPolicy: 'until_closed',
    });
    const t = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'x',
      body: '{{patient.firstName}}, à {{appointment.time}} !',
    });
    const reply = await replyAsPractitioner(ctx.as('practitioner-reply'), doc(), first.thread.id, {
      templateId: t.id,
    });
    expect(reply.message).toMatchObject({ body: 'Camille, à 14h30 !' });
    const other = await createTemplate(ctx.as('practitioner-create-template'), ctx.practitioner(OTHER_DOC), {
      name: 'x',
      body: 'x',
    });
    await expect(
      replyAsPractitioner(ctx.as('practitioner-reply'), doc(), first.thread.id, { templateId: other.id }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('from the appointment window: patient and context come from the appointment', async () => {
    const t = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'x',
      body: 'Bonjour {{patient.firstName}}, pour votre {{appointment.motive}} du {{appointment.date}} à {{appointment.time}}, apportez votre carte Vitale.',
    });
    const sent = await sendFromAppointment(ctx.as('practitioner-appointment-message'), doc(), APPT, {
      templateId: t.id,
      replyPolicy: 'single',
    });
    expect(sent.thread).toMatchObject({
      patientId: PAT,
      appointmentId: APPT,
      replyPolicy: 'single',
      origin: 'practitioner',
    });
    expect(sent.message).toMatchObject({
      body: 'Bonjour Camille, pour votre Suivi du mardi 14 mai 2024 à 14h30, apportez votre carte Vitale.',
    });
    expect(ctx.published.find((e) => e.detailType === 'ThreadStarted')?.data).toMatchObject({
      appointmentId: APPT,
    });
    const view = await getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), sent.thread.id);
    expect(view.thread.appointmentId).toBe(APPT);
    await expect(
      sendFromAppointment(ctx.as('practitioner-appointment-message'), doc(), 'appt-missing', { body: 'x' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
