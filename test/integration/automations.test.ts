import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../shared/db/keys.ts';
import { automationWorkId } from '../../shared/domain/automations.ts';
import { createAutomation, deleteAutomation, listAutomations } from '../../shared/use-cases/automations.ts';
import { sweepDueWork } from '../../shared/use-cases/due-work.ts';
import { getPatientThread, listPatientThreads } from '../../shared/use-cases/patient-messaging.ts';
import { updateSettings } from '../../shared/use-cases/practitioner-admin.ts';
import { createTemplate } from '../../shared/use-cases/templates.ts';
import { agenda } from './agenda-helpers.ts';
import { createTestContext, type TestContext } from './harness.ts';

const DOC = 'dr-martin';
const PAT = 'pat-camille';
const APPT = 'appt-1';
const START = '2024-05-14T12:00:00.000Z';

let ctx: TestContext;
let events: ReturnType<typeof agenda>;

const doc = () => ctx.practitioner(DOC);

const patientThreads = async (patientId = PAT) =>
  (await listPatientThreads(ctx.as('patient-list-threads'), ctx.patient(patientId), { limit: 100 })).items;

const followUp = async (input: { delayMinutes: number; motive?: string; body?: string }) => {
  const template = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
    name: 'Suivi',
    body:
      input.body ??
      'Bonjour {{patient.firstName}}, suite à votre rendez-vous du {{appointment.date}} : comment allez-vous ?',
  });
  return createAutomation(ctx.as('practitioner-create-automation'), doc(), {
    trigger: 'appointment_completed',
    templateId: template.id,
    replyPolicy: 'single',
    delayMinutes: input.delayMinutes,
    ...(input.motive !== undefined && { motive: input.motive }),
  });
};

const book = (appointmentId = APPT, patientId = PAT, motive = 'Suivi') =>
  events.deliver(
    'AppointmentBooked',
    events.booked(DOC, appointmentId, patientId, { motive, startsAt: '2024-05-14T12:30:00.000Z' }),
  );
const complete = (appointmentId = APPT, patientId = PAT) =>
  events.deliver(
    'AppointmentCompleted',
    events.completed(DOC, appointmentId, patientId, '2024-05-14T13:00:00.000Z'),
  );

beforeEach(async () => {
  ctx = await createTestContext(START);
  events = agenda(ctx);
  await updateSettings(ctx.as('practitioner-update-settings'), doc(), {
    displayName: 'Dr Martin',
    timezone: 'Europe/Paris',
  });
  ctx.clock.set('2024-05-14T13:00:05.000Z');
});

describe('automations CRUD', () => {
  it('creates with the reply policy resolved, lists and deletes', async () => {
    const template = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'x',
      body: 'Merci',
      defaultReplyPolicy: 'none',
    });
    const created = await createAutomation(ctx.as('practitioner-create-automation'), doc(), {
      trigger: 'appointment_completed',
      motive: 'Vaccination',
      templateId: template.id,
      delayMinutes: 60,
    });
    expect(created).toMatchObject({
      trigger: 'appointment_completed',
      motive: 'Vaccination',
      templateId: template.id,
      replyPolicy: 'none',
      delayMinutes: 60,
    });
    expect(
      (await listAutomations(ctx.as('practitioner-list-automations'), doc(), { limit: 20 })).items,
    ).toEqual([created]);
    await deleteAutomation(ctx.as('practitioner-delete-automation'), doc(), created.id);
    expect(
      (await listAutomations(ctx.as('practitioner-list-automations'), doc(), { limit: 20 })).items,
    ).toEqual([]);
    await expect(
      deleteAutomation(ctx.as('practitioner-delete-automation'), doc(), created.id),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses a template that does not exist (or is someone else’s)', async () => {
    const other = await createTemplate(ctx.as('practitioner-create-template'), ctx.practitioner('dr-other'), {
      name: 'x',
      body: 'x',
    });
    await expect(
      createAutomation(ctx.as('practitioner-create-automation'), doc(), {
        trigger: 'appointment_completed',
        templateId: other.id,
        delayMinutes: 0,
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(
      (await listAutomations(ctx.as('practitioner-list-automations'), doc(), { limit: 20 })).items,
    ).toEqual([]);
  });
});

describe('an automation after a completed appointment', () => {
  it('delay 0: posts the rendered message in a new thread about the appointment', async () => {
    await followUp({ delayMinutes: 0 });
    await book();
    await complete();
    const threads = await patientThreads();
    expect(threads).toHaveLength(1);
    expect(threads[0]).toMatchObject({ appointmentId: APPT, origin: 'practitioner', replyPolicy: 'single' });
    const { messages } = await getPatientThread(
      ctx.as('patient-get-thread'),
      ctx.patient(PAT),
      threads[0]?.id ?? '',
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      sender: 'practitioner',
      body: 'Bonjour Camille, suite à votre rendez-vous du mardi 14 mai 2024 : comment allez-vous ?',
    });
    expect(ctx.published.filter((e) => e.detailType === 'MessageSent')).toHaveLength(1);
  });

  it('exactly one message under 3× concurrent delivery of the completion', async () => {
    await followUp({ delayMinutes: 0 });
    await book();
    const detail = events.completed(DOC, APPT, PAT, '2024-05-14T13:00:00.000Z');
    await Promise.all(
      [1, 2, 3].map(() => events.deliver('AppointmentCompleted', detail, { id: 'same-event' })),
    );
    await events.deliver('AppointmentCompleted', detail, { id: 'same-event' });
    expect(await patientThreads()).toHaveLength(1);
    expect(ctx.published.filter((e) => e.detailType === 'ThreadStarted')).toHaveLength(1);
    expect(await ctx.deps.counters.patient(PAT)).toEqual({ unreadMessages: 1 });
  });

  it('exactly one message per appointment and automation, with several of each', async () => {
    await followUp({ delayMinutes: 0 });
    await followUp({
      delayMinutes: 0,
      body: 'Pensez à prendre votre prochain rendez-vous, {{patient.firstName}}.',
    });
    for (const n of [1, 2, 3]) await book(`appt-${n}`, `pat-${n}`);
    const deliveries = [1, 2, 3].flatMap((n) => [1, 2, 3].map(() => complete(`appt-${n}`, `pat-${n}`)));
    await Promise.all(deliveries);
    for (const n of [1, 2, 3]) expect(await patientThreads(`pat-${n}`)).toHaveLength(2);
  });

  it('delayed: nothing before the time, one message after, whatever the sweeps', async () => {
    const automation = await followUp({ delayMinutes: 30 });
    await book();
    await complete();
    await complete();
    expect(await patientThreads()).toHaveLength(0);
    const work = await ctx.deps.dueWork.get(
      automationWorkId({ practitionerId: DOC, automationId: automation.id, appointmentId: APPT }),
    );
    expect(work).toMatchObject({
      kind: 'automation',
      dueAt: '2024-05-14T13:30:00.000Z',
      state: 'pending',
      attempts: 0,
    });

    ctx.clock.set('2024-05-14T13:29:59.000Z');
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 0 });
    expect(await patientThreads()).toHaveLength(0);

    ctx.clock.set('2024-05-14T13:30:00.000Z');
    // Two sweeps at once (an overlapping Lambda): the item is claimed by one of them only.
    const [a, b] = await Promise.all([
      sweepDueWork(ctx.as('due-work-sweep')),
      sweepDueWork(ctx.as('due-work-sweep')),
    ]);
    expect((a?.claimed ?? 0) + (b?.claimed ?? 0)).toBe(1);
    expect((a?.done ?? 0) + (b?.done ?? 0)).toBe(1);
    ctx.clock.advance(60 * 60_000);
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 0 });
    await complete(); // a late duplicate of the completion
    await sweepDueWork(ctx.as('due-work-sweep'));
    expect(await patientThreads()).toHaveLength(1);
    expect((await ctx.deps.dueWork.get(work?.workId ?? ''))?.state).toBe('done');
  });

  it('a run that died after sending is run again when its lease ends, and sends nothing more', async () => {
    const automation = await followUp({ delayMinutes: 5 });
    await book();
    await complete();
    ctx.clock.set('2024-05-14T13:05:00.000Z');
    // The Lambda dies right after the message is written: the outcome is never recorded.
    const sweep = ctx.as('due-work-sweep');
    const dying = {
      ...sweep,
      dueWork: { ...sweep.dueWork, finish: async () => false, retryAt: async () => false },
    };
    expect(await sweepDueWork(dying)).toMatchObject({ claimed: 1, done: 1 });
    expect(await patientThreads()).toHaveLength(1);
    ctx.clock.set('2024-05-14T13:09:00.000Z');
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 0 });
    ctx.clock.set('2024-05-14T13:10:00.000Z');
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 1, skipped: 1 });
    expect(await patientThreads()).toHaveLength(1);
    const work = await ctx.deps.dueWork.get(
      automationWorkId({ practitionerId: DOC, automationId: automation.id, appointmentId: APPT }),
    );
    expect(work).toMatchObject({ state: 'skipped', attempts: 2 });
  });

  it('nothing is sent for an appointment cancelled before the send time', async () => {
    const automation = await followUp({ delayMinutes: 60 });
    await book();
    await complete();
    await events.deliver(
      'AppointmentCancelled',
      events.cancelled(DOC, APPT, PAT, '2024-05-14T13:20:00.000Z'),
    );
    ctx.clock.set('2024-05-14T14:00:00.000Z');
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 1, skipped: 1, done: 0 });
    expect(await patientThreads()).toHaveLength(0);
    const work = await ctx.deps.dueWork.get(
      automationWorkId({ practitionerId: DOC, automationId: automation.id, appointmentId: APPT }),
    );
    expect(work?.state).toBe('skipped');
  });

  it('a cancel that lands while the message is being written wins: the transaction checks the status', async () => {
    await followUp({ delayMinutes: 0 });
    await book();
    // Completed, then cancelled directly in the table between the run's read and its write
    // (in the consumer that runs it: appointment-events).
    const consumerThreads = ctx.as('appointment-events').threads;
    const original = consumerThreads.commit.bind(consumerThreads);
    consumerThreads.commit = async (change) => {
      await ctx.db.client.send(
        new UpdateCommand({
          TableName: ctx.db.tableName,
          Key: keys.appointment(DOC, APPT),
          UpdateExpression: 'SET #s = :c',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':c': 'cancelled' },
        }),
      );
      return original(change);
    };
    await complete();
    consumerThreads.commit = original;
    expect(await patientThreads()).toHaveLength(0);
  });

  it('only for the chosen motive (compared without case or outer spaces)', async () => {
    await followUp({ delayMinutes: 0, motive: ' vaccination' });
    await book('appt-a', 'pat-a', 'Suivi');
    await complete('appt-a', 'pat-a');
    await book('appt-b', 'pat-b', 'Vaccination');
    await complete('appt-b', 'pat-b');
    expect(await patientThreads('pat-a')).toHaveLength(0);
    expect(await patientThreads('pat-b')).toHaveLength(1);
  });

  it('a completion seen before its booking waits for the booking, then sends once', async () => {
    await followUp({ delayMinutes: 0, motive: 'Suivi' });
    await complete();
    expect(await patientThreads()).toHaveLength(0);
    await book();
    ctx.clock.advance(60_000);
    await sweepDueWork(ctx.as('due-work-sweep'));
    await sweepDueWork(ctx.as('due-work-sweep'));
    expect(await patientThreads()).toHaveLength(1);
  });

  it('a blocked patient still receives the practitioner’s automatic message', async () => {
    await followUp({ delayMinutes: 0 });
    await book();
    await ctx.db.client.send(
      new UpdateCommand({
        TableName: ctx.db.tableName,
        Key: keys.patientRecord(DOC, PAT),
        UpdateExpression: 'SET blocked = :true',
        ExpressionAttributeValues: { ':true': true },
      }),
    );
    await complete();
    expect(await patientThreads()).toHaveLength(1);
  });

  it('a deleted automation sends nothing at its time', async () => {
    const automation = await followUp({ delayMinutes: 10 });
    await book();
    await complete();
    await deleteAutomation(ctx.as('practitioner-delete-automation'), doc(), automation.id);
    ctx.clock.set('2024-05-14T13:10:00.000Z');
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ skipped: 1 });
    expect(await patientThreads()).toHaveLength(0);
  });

  it('a variable without value fails the run visibly, sends nothing, and is not retried', async () => {
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { displayName: null });
    const automation = await followUp({ delayMinutes: 1, body: 'Bien à vous, {{practitioner.name}}' });
    await book();
    await complete();
    ctx.clock.set('2024-05-14T13:01:00.000Z');
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ failed: 1 });
    const work = await ctx.deps.dueWork.get(
      automationWorkId({ practitionerId: DOC, automationId: automation.id, appointmentId: APPT }),
    );
    expect(work).toMatchObject({ state: 'failed' });
    expect(await patientThreads()).toHaveLength(0);
  });
});

describe('the due-work sweep', () => {
  it('retries a throwing run with backoff, then gives up after the maximum attempts', async () => {
    await ctx.deps.dueWork.schedule(
      { workId: 'w-1', kind: 'automation', payload: {}, dueAt: '2024-05-14T13:00:00.000Z' },
      ctx.clock.now().toISOString(),
    );
    let runs = 0;
    const runners = {
      automation: async () => {
        runs++;
        throw new Error('throttled');
      },
    };
    for (let i = 0; i < 12; i++) {
      await sweepDueWork(ctx.as('due-work-sweep'), { runners });
      ctx.clock.advance(61 * 60_000);
    }
    expect(runs).toBe(6);
    expect(await ctx.deps.dueWork.get('w-1')).toMatchObject({ state: 'failed', attempts: 6 });
  });

  it('claims each of many due items once across concurrent sweeps', async () => {
    for (let i = 0; i < 40; i++) {
      await ctx.deps.dueWork.schedule(
        { workId: `w-${i}`, kind: 'automation', payload: {}, dueAt: '2024-05-14T13:00:00.000Z' },
        ctx.clock.now().toISOString(),
      );
    }
    const seen: string[] = [];
    const runners = {
      automation: async (_deps: unknown, _payload: unknown, work: { workId: string }) => {
        seen.push(work.workId);
        return { outcome: 'done' as const };
      },
    };
    const summaries = await Promise.all(
      [1, 2, 3].map(() => sweepDueWork(ctx.as('due-work-sweep'), { runners })),
    );
    expect(summaries.reduce((n, s) => n + s.done, 0)).toBe(40);
    expect(new Set(seen).size).toBe(40);
    expect(seen).toHaveLength(40);
  });

  it('scheduling the same work twice keeps one item, and a cancel stops it', async () => {
    const work = {
      workId: 'w-x',
      kind: 'automation' as const,
      payload: {},
      dueAt: '2024-05-14T13:00:00.000Z',
    };
    expect(await ctx.deps.dueWork.schedule(work, ctx.clock.now().toISOString())).toBe('scheduled');
    expect(await ctx.deps.dueWork.schedule(work, ctx.clock.now().toISOString())).toBe('exists');
    expect(await ctx.deps.dueWork.cancel('w-x', ctx.clock.now().toISOString())).toBe(true);
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 0 });
  });
});
