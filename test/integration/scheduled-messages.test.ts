/**
 * Deferred sending on DynamoDB Local with an injected clock: the message is
 * stored with its due work, invisible to the patient; the `due-work` sweep (the
 * real use case, run by hand at chosen times) delivers it once — also under
 * three concurrent sweeps, a racing cancellation or a run that died — and the
 * rules of the delivery time apply (a thread closed meanwhile refuses it).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { scheduledMessageWorkId } from '../../shared/domain/scheduled-messages.ts';
import { withAuditContext } from '../../shared/use-cases/audit.ts';
import { sweepDueWork } from '../../shared/use-cases/due-work.ts';
import { getPatientThread, listPatientThreads } from '../../shared/use-cases/patient-messaging.ts';
import { updateSettings } from '../../shared/use-cases/practitioner-admin.ts';
import { setPatientFlag } from '../../shared/use-cases/practitioner-controls.ts';
import {
  getPractitionerThread,
  startPractitionerThread,
  treatThread,
} from '../../shared/use-cases/practitioner-messaging.ts';
import {
  cancelScheduledMessage,
  scheduleNewThread,
  scheduleReply,
} from '../../shared/use-cases/scheduled-messages.ts';
import { createTemplate } from '../../shared/use-cases/templates.ts';
import { createTestContext, type TestContext } from './harness.ts';
import { cancelScheduled, deliverScheduled, putPatient, scheduledList, scheduleLater } from './practice.ts';

const DOC = 'dr-later';
const PAT = 'pat-later';
const NOW = '2026-05-14T08:00:00.000Z';
const AT = '2026-05-20T07:30:00.000Z';

let ctx: TestContext;
const doc = () => ctx.practitioner(DOC);

const patientThreads = async () =>
  (await listPatientThreads(ctx.as('patient-list-threads'), ctx.patient(PAT), { limit: 100 })).items;
const pending = () => scheduledList(ctx, DOC, 'scheduled');
const history = () => scheduledList(ctx, DOC, 'all');
const sent = () => ctx.published.filter((e) => e.detailType === 'MessageSent');

beforeEach(async () => {
  ctx = await createTestContext(NOW);
  await updateSettings(ctx.as('practitioner-update-settings'), doc(), {
    displayName: 'Dr Later',
    timezone: 'Europe/Paris',
  });
  await putPatient(ctx, DOC, PAT, { email: 'camille@example.org', attributes: { primaryCare: true } });
});

describe('a deferred new thread', () => {
  it('is invisible until its time, then delivered once and listed as sent', async () => {
    const scheduled = await scheduleLater(ctx, DOC, {
      patientId: PAT,
      body: 'Pensez à votre bilan annuel.',
      replyPolicy: 'single',
      sendAt: AT,
    });
    expect(scheduled).toMatchObject({
      status: 'scheduled',
      kind: 'new-thread',
      patientId: PAT,
      threadId: null,
      sendAt: AT,
      replyPolicy: 'single',
      body: 'Pensez à votre bilan annuel.',
    });
    expect(await pending()).toEqual([scheduled]);
    expect(await patientThreads()).toEqual([]);
    expect(await ctx.deps.counters.patient(PAT)).toEqual({ unreadMessages: 0 });
    expect(sent()).toEqual([]);
    expect(ctx.published.map((e) => e.detailType)).toEqual(['MessageScheduled']);

    ctx.clock.set('2026-05-20T07:29:59.000Z');
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 0 });
    expect(await patientThreads()).toEqual([]);

    ctx.clock.set(AT);
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 1, done: 1 });
    const threads = await patientThreads();
    expect(threads).toHaveLength(1);
    expect(threads[0]).toMatchObject({ origin: 'practitioner', replyPolicy: 'single', lastMessageAt: AT });
    const { messages } = await getPatientThread(
      ctx.as('patient-get-thread'),
      ctx.patient(PAT),
      threads[0]?.id ?? '',
    );
    expect(messages).toMatchObject([{ body: 'Pensez à votre bilan annuel.', sentAt: AT }]);
    expect(sent()).toHaveLength(1);

    expect(await pending()).toEqual([]);
    expect(await history()).toMatchObject([
      { id: scheduled.id, status: 'sent', threadId: threads[0]?.id, messageId: messages[0]?.id, sentAt: AT },
    ]);
    ctx.clock.advance(3_600_000);
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 0 });
    expect(await patientThreads()).toHaveLength(1);
  });

  it('under 3 concurrent sweeps (3× trigger), and 3 direct runs at once: one message', async () => {
    const scheduled = await scheduleLater(ctx, DOC, {
      patientId: PAT,
      body: 'Une fois',
      sendAt: AT,
    });
    ctx.clock.set(AT);
    const sweeps = await Promise.all([
      sweepDueWork(ctx.as('due-work-sweep')),
      sweepDueWork(ctx.as('due-work-sweep')),
      sweepDueWork(ctx.as('due-work-sweep')),
    ]);
    expect(sweeps.reduce((n, s) => n + s.done, 0)).toBe(1);
    // Even bypassing the due-work lease, three runs at once deliver it once.
    const second = await scheduleLater(ctx, DOC, {
      patientId: PAT,
      body: 'Une autre fois',
      sendAt: '2026-05-20T08:00:00.000Z',
    });
    ctx.clock.set('2026-05-20T08:00:00.000Z');
    const runs = await Promise.all([1, 2, 3].map(() => deliverScheduled(ctx, DOC, second.id)));
    expect(runs.filter((r) => r.outcome === 'sent')).toHaveLength(1);
    const threads = await patientThreads();
    expect(threads).toHaveLength(2);
    expect(await ctx.deps.counters.patient(PAT)).toEqual({ unreadMessages: 2 });
    expect(sent()).toHaveLength(2);
    expect((await history()).map((m) => [m.id, m.status])).toEqual([
      [second.id, 'sent'],
      [scheduled.id, 'sent'],
    ]);
  });

  it('a template is rendered at delivery with the values of that moment, even if deleted meanwhile', async () => {
    const template = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'Rappel',
      body: 'Bonjour {{patient.firstName}}, {{practitioner.name}} vous rappelle votre bilan.',
      defaultReplyPolicy: 'none',
    });
    const scheduled = await scheduleLater(ctx, DOC, {
      patientId: PAT,
      templateId: template.id,
      sendAt: AT,
    });
    expect(scheduled).toMatchObject({ body: null, templateId: template.id, replyPolicy: 'none' });
    await ctx.deps.templates.delete(DOC, template.id);
    await putPatient(ctx, DOC, PAT, { firstName: 'Camila', attributes: { primaryCare: true } });
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { displayName: 'Dr Nouveau' });
    ctx.clock.set(AT);
    await sweepDueWork(ctx.as('due-work-sweep'));
    const [thread] = await patientThreads();
    const { messages } = await getPatientThread(
      ctx.as('patient-get-thread'),
      ctx.patient(PAT),
      thread?.id ?? '',
    );
    expect(messages[0]?.body).toBe('Bonjour Camila, Dr Nouveau vous rappelle votre bilan.');
  });

  it('a blocked patient or a closed inbox does not stop it (a practitioner may always write)', async () => {
    await scheduleLater(ctx, DOC, {
      patientId: PAT,
      body: 'Information',
      sendAt: AT,
    });
    await setPatientFlag(ctx.as('practitioner-block-patient'), doc(), PAT, 'blocked', true);
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { inboxOpen: false });
    ctx.clock.set(AT);
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ done: 1 });
    expect(await patientThreads()).toHaveLength(1);
  });
});

describe('cancelling', () => {
  it('a message cancelled just before its time is never delivered', async () => {
    const scheduled = await scheduleLater(ctx, DOC, {
      patientId: PAT,
      body: 'Annulé',
      sendAt: AT,
    });
    ctx.clock.set('2026-05-20T07:29:59.999Z');
    await cancelScheduled(ctx, DOC, scheduled.id);
    for (const at of [AT, '2026-05-20T08:30:00.000Z', '2026-05-21T07:30:00.000Z']) {
      ctx.clock.set(at);
      await sweepDueWork(ctx.as('due-work-sweep'));
    }
    expect(await patientThreads()).toEqual([]);
    expect(sent()).toEqual([]);
    expect(await pending()).toEqual([]);
    expect(await history()).toMatchObject([{ id: scheduled.id, status: 'cancelled' }]);
    expect(ctx.published.map((e) => e.detailType)).toEqual(['MessageScheduled', 'ScheduledMessageCancelled']);
    // Again: nothing changes.
    await cancelScheduled(ctx, DOC, scheduled.id);
  });

  it('even when its due work could not be removed (a run already holds it): the run sends nothing', async () => {
    const scheduled = await scheduleLater(ctx, DOC, {
      patientId: PAT,
      body: 'Annulé',
      sendAt: AT,
    });
    const route = ctx.as('practitioner-cancel-scheduled-message');
    const keepingDueWork = {
      ...route,
      dueWork: { ...route.dueWork, cancel: async () => false },
    };
    await cancelScheduledMessage(keepingDueWork, doc(), scheduled.id);
    ctx.clock.set(AT);
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 1, skipped: 1 });
    expect(await patientThreads()).toEqual([]);
    expect((await ctx.deps.dueWork.get(scheduledMessageWorkId(DOC, scheduled.id)))?.state).toBe('skipped');
  });

  it('a cancellation racing the delivery: exactly one of them wins', async () => {
    for (let round = 0; round < 5; round++) {
      const sendAt = new Date(Date.parse(AT) + round * 60_000).toISOString();
      const scheduled = await scheduleLater(ctx, DOC, {
        patientId: PAT,
        body: `n°${round}`,
        sendAt,
      });
      ctx.clock.set(sendAt);
      const [delivery, cancellation] = await Promise.allSettled([
        deliverScheduled(ctx, DOC, scheduled.id),
        cancelScheduled(ctx, DOC, scheduled.id),
      ]);
      const status = (await history()).find((m) => m.id === scheduled.id)?.status;
      if (status === 'sent') {
        expect(delivery).toMatchObject({ status: 'fulfilled', value: { outcome: 'sent' } });
        expect(cancellation).toMatchObject({ status: 'rejected', reason: { code: 'CONFLICT' } });
      } else {
        expect(status).toBe('cancelled');
        expect(cancellation.status).toBe('fulfilled');
        expect(delivery).toMatchObject({ status: 'fulfilled', value: { outcome: 'skipped' } });
      }
    }
    const delivered = (await history()).filter((m) => m.status === 'sent').length;
    expect(await patientThreads()).toHaveLength(delivered);
  });

  it('409 once sent, 404 for someone else’s or an unknown id', async () => {
    const scheduled = await scheduleLater(ctx, DOC, {
      patientId: PAT,
      body: 'x',
      sendAt: AT,
    });
    await expect(cancelScheduled(ctx, 'dr-other', scheduled.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(cancelScheduled(ctx, DOC, 'nope')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await scheduledList(ctx, 'dr-other', 'all')).toEqual([]);
    ctx.clock.set(AT);
    await sweepDueWork(ctx.as('due-work-sweep'));
    await expect(cancelScheduled(ctx, DOC, scheduled.id)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });
});

describe('a deferred reply', () => {
  it('goes into the thread at its time', async () => {
    const { thread } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Premier message',
      replyPolicy: 'until_closed',
    });
    const scheduled = await scheduleReply(ctx.as('practitioner-reply'), doc(), thread.id, {
      body: 'Suite, plus tard',
      sendAt: AT,
    });
    expect(scheduled).toMatchObject({ kind: 'reply', threadId: thread.id, patientId: PAT });
    expect(
      (await getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), thread.id)).messages,
    ).toHaveLength(1);
    ctx.clock.set(AT);
    await sweepDueWork(ctx.as('due-work-sweep'));
    const { messages } = await getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), thread.id);
    expect(messages.map((m) => m.body)).toEqual(['Premier message', 'Suite, plus tard']);
    expect(messages[1]).toMatchObject({ id: (await history())[0]?.messageId, sentAt: AT });
  });

  it('scheduled by an assistant: the message sent later by the system keeps her as author', async () => {
    const author = { role: 'assistant' as const, id: 'asst-sophie', displayName: 'Sophie (secrétariat)' };
    // What the route wrapper sets when an assistant calls with On-Behalf-Of (ADR 0015).
    const asAssistant = (name: Parameters<TestContext['as']>[0]) =>
      withAuditContext(ctx.as(name), {
        actor: { role: 'assistant', id: author.id, onBehalfOf: DOC },
        requestId: 'req-asst',
        author,
      });
    const { thread } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Premier message',
      replyPolicy: 'until_closed',
    });
    await scheduleReply(asAssistant('practitioner-reply'), doc(), thread.id, { body: 'Suite', sendAt: AT });
    await scheduleNewThread(asAssistant('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Nouveau fil',
      sendAt: AT,
    });
    ctx.clock.set(AT);
    await sweepDueWork(ctx.as('due-work-sweep'));
    const { messages } = await getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), thread.id);
    expect(messages[0]?.author).toBeUndefined();
    expect(messages[1]).toMatchObject({ body: 'Suite', author });
    const opened = (await history()).find((m) => m.kind === 'new-thread');
    const fresh = await getPractitionerThread(
      ctx.as('practitioner-get-thread'),
      doc(),
      opened?.threadId ?? '',
    );
    expect(fresh.messages[0]).toMatchObject({ body: 'Nouveau fil', author });
    const patientView = await getPatientThread(ctx.as('patient-get-thread'), ctx.patient(PAT), thread.id);
    expect(patientView.messages.at(-1)?.author).toEqual(author);
  });

  it('a thread closed in the meantime refuses the delivery, and the refusal is recorded', async () => {
    const { thread } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Bonjour',
    });
    const scheduled = await scheduleReply(ctx.as('practitioner-reply'), doc(), thread.id, {
      body: 'Trop tard',
      sendAt: AT,
    });
    await treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.id);
    ctx.clock.set(AT);
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 1, skipped: 1, done: 0 });
    expect(
      (await getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), thread.id)).messages,
    ).toHaveLength(1);
    expect(await history()).toMatchObject([
      { id: scheduled.id, status: 'refused', refusalReason: 'THREAD_CLOSED', refusedAt: AT },
    ]);
    expect(ctx.published.filter((e) => e.detailType === 'ScheduledMessageRefused')).toMatchObject([
      { data: { scheduledMessageId: scheduled.id, status: 'refused', reason: 'THREAD_CLOSED' } },
    ]);
    await expect(cancelScheduled(ctx, DOC, scheduled.id)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });

  it('a template variable without value at delivery refuses it, naming the variable', async () => {
    const template = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'x',
      body: 'Cordialement, {{practitioner.name}}',
    });
    const { thread } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Bonjour',
    });
    const scheduled = await scheduleReply(ctx.as('practitioner-reply'), doc(), thread.id, {
      templateId: template.id,
      sendAt: AT,
    });
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { displayName: null });
    ctx.clock.set(AT);
    await sweepDueWork(ctx.as('due-work-sweep'));
    expect(await history()).toMatchObject([
      {
        id: scheduled.id,
        status: 'refused',
        refusalReason: 'TEMPLATE_VARIABLE_MISSING',
        refusalDetails: { variable: 'practitioner.name' },
      },
    ]);
  });
});

describe('refused when scheduling, nothing stored', () => {
  it('sendAt in the past or more than a year ahead (400), a closed thread (409), unknown targets (404)', async () => {
    const refuse = async (promise: Promise<unknown>, code: string) => {
      await expect(promise).rejects.toMatchObject({ code });
    };
    await refuse(
      scheduleLater(ctx, DOC, {
        patientId: PAT,
        body: 'x',
        sendAt: NOW,
      }),
      'VALIDATION_ERROR',
    );
    await refuse(
      scheduleLater(ctx, DOC, {
        patientId: PAT,
        body: 'x',
        sendAt: '2027-05-14T08:00:00.001Z',
      }),
      'VALIDATION_ERROR',
    );
    await refuse(
      scheduleLater(ctx, DOC, {
        patientId: 'pat-unknown',
        body: 'x',
        sendAt: AT,
      }),
      'NOT_FOUND',
    );
    await refuse(
      scheduleLater(ctx, DOC, {
        patientId: PAT,
        templateId: 'tpl-unknown',
        sendAt: AT,
      }),
      'NOT_FOUND',
    );
    const { thread } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Bonjour',
    });
    await refuse(
      scheduleReply(ctx.as('practitioner-reply'), ctx.practitioner('dr-other'), thread.id, {
        body: 'x',
        sendAt: AT,
      }),
      'NOT_FOUND',
    );
    await treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.id);
    await refuse(
      scheduleReply(ctx.as('practitioner-reply'), doc(), thread.id, { body: 'x', sendAt: AT }),
      'THREAD_CLOSED',
    );
    expect(await history()).toEqual([]);
    expect(ctx.published.filter((e) => e.detailType === 'MessageScheduled')).toEqual([]);
    // Exactly one year ahead is accepted.
    const latest = await scheduleLater(ctx, DOC, {
      patientId: PAT,
      body: 'x',
      sendAt: '2027-05-14T08:00:00.000Z',
    });
    expect(latest.status).toBe('scheduled');
  });
});

describe('a run that died', () => {
  it('after committing the message is run again when its lease ends: no second message, no second MessageSent', async () => {
    await scheduleLater(ctx, DOC, {
      patientId: PAT,
      body: 'Une seule fois',
      sendAt: AT,
    });
    ctx.clock.set(AT);
    const sweep = ctx.as('due-work-sweep');
    const dying = {
      ...sweep,
      dueWork: { ...sweep.dueWork, finish: async () => false, retryAt: async () => false },
    };
    expect(await sweepDueWork(dying)).toMatchObject({ claimed: 1, done: 1 });
    ctx.clock.advance(5 * 60_000);
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 1, skipped: 1 });
    expect(await patientThreads()).toHaveLength(1);
    // Its MessageSent committed with it, in the outbox: the re-run has nothing to send again.
    const ids = sent().map((e) => e.data.messageId);
    expect(ids).toHaveLength(1);
  });

  it('an error on every attempt ends as failed (listed), never as a forgotten pending message', async () => {
    const scheduled = await scheduleLater(ctx, DOC, {
      patientId: PAT,
      body: 'x',
      sendAt: AT,
    });
    const sweep = ctx.as('due-work-sweep');
    const broken = {
      ...sweep,
      threads: {
        ...sweep.threads,
        commit: async () => {
          throw new Error('DynamoDB unavailable');
        },
      },
    };
    ctx.clock.set(AT);
    for (let attempt = 0; attempt < 8; attempt++) {
      await sweepDueWork(broken);
      ctx.clock.advance(61 * 60_000);
    }
    expect(await history()).toMatchObject([
      { id: scheduled.id, status: 'failed', refusalReason: 'DELIVERY_FAILED' },
    ]);
    expect(await patientThreads()).toEqual([]);
  });
});
