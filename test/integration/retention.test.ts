/**
 * Items past their usefulness carry the table's TTL (`expiresAt`, epoch seconds):
 * appointments, automation-run markers, ended scheduled messages, communications
 * (shared/domain/retention.ts). Messages and threads are health records: never.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { type ItemKey, keys } from '../../shared/db/keys.ts';
import { RETENTION } from '../../shared/domain/retention.ts';
import { createAutomation } from '../../shared/use-cases/automations.ts';
import { createCommunication } from '../../shared/use-cases/communications.ts';
import { sweepDueWork } from '../../shared/use-cases/due-work.ts';
import { readAsPatient } from '../../shared/use-cases/patient-messaging.ts';
import { updateSettings } from '../../shared/use-cases/practitioner-admin.ts';
import {
  replyAsPractitioner,
  startPractitionerThread,
  treatThread,
} from '../../shared/use-cases/practitioner-messaging.ts';
import {
  cancelScheduledMessage,
  scheduleNewThread,
  scheduleReply,
} from '../../shared/use-cases/scheduled-messages.ts';
import { createTemplate } from '../../shared/use-cases/templates.ts';
import { agenda } from './agenda-helpers.ts';
import { createTestContext, type TestContext } from './harness.ts';

const DOC = 'dr-keep';
const PAT = 'pat-keep';
const NOW = '2026-05-14T08:00:00.000Z';
const DAY = 24 * 3600;

let ctx: TestContext;
const doc = () => ctx.practitioner(DOC);

const item = async (key: ItemKey) =>
  (await ctx.db.client.send(new GetCommand({ TableName: ctx.db.tableName, Key: key }))).Item as
    | Record<string, unknown>
    | undefined;
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
/** The medical record's retention (SPEC 11.6, default 20 years), computed independently of the code. */
const twentyYearsAfter = (iso: string) => seconds(iso.replace(/^\d{4}/, (year) => String(Number(year) + 20)));

beforeEach(async () => {
  ctx = await createTestContext(NOW);
  await ctx.enrol(DOC, PAT);
  await updateSettings(ctx.as('practitioner-update-settings'), doc(), {
    displayName: 'Dr Keep',
    timezone: 'Europe/Paris',
  });
});

describe('appointments', () => {
  it('400 days after the later of their start and their last event', async () => {
    const events = agenda(ctx);
    const startsAt = '2026-07-01T09:00:00.000Z';
    await events.deliver('AppointmentBooked', events.booked(DOC, 'appt-1', PAT, { startsAt }));
    expect((await item(keys.appointment(DOC, 'appt-1')))?.expiresAt).toBe(seconds(startsAt) + 400 * DAY);

    ctx.clock.set('2026-07-01T10:00:00.000Z');
    await events.deliver('AppointmentCompleted', events.completed(DOC, 'appt-1', PAT));
    expect((await item(keys.appointment(DOC, 'appt-1')))?.expiresAt).toBe(
      seconds('2026-07-01T10:00:00.000Z') + 400 * DAY,
    );
    // A cancellation seen first (no booking yet) is kept from its own time.
    ctx.clock.set('2026-07-02T10:00:00.000Z');
    await events.deliver('AppointmentCancelled', events.cancelled(DOC, 'appt-2', PAT));
    expect((await item(keys.appointment(DOC, 'appt-2')))?.expiresAt).toBe(
      seconds('2026-07-02T10:00:00.000Z') + 400 * DAY,
    );
    expect(RETENTION.appointmentMs).toBe(400 * DAY * 1000);
  });
});

describe('automation-run markers', () => {
  it('430 days after the message was sent: longer than the appointment they guard', async () => {
    const template = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'Suivi',
      body: 'Comment allez-vous ?',
    });
    const automation = await createAutomation(ctx.as('practitioner-create-automation'), doc(), {
      trigger: 'appointment_completed',
      templateId: template.id,
      replyPolicy: 'none',
      delayMinutes: 0,
    });
    const events = agenda(ctx);
    await events.deliver('AppointmentBooked', events.booked(DOC, 'appt-1', PAT, { startsAt: NOW }));
    ctx.clock.set('2026-05-14T09:00:00.000Z');
    await events.deliver('AppointmentCompleted', events.completed(DOC, 'appt-1', PAT));
    const marker = await item(keys.automationRun(DOC, automation.id, 'appt-1'));
    expect(marker).toMatchObject({ sentAt: '2026-05-14T09:00:00.000Z' });
    expect(marker?.expiresAt).toBe(seconds('2026-05-14T09:00:00.000Z') + 430 * DAY);
    const appointment = await item(keys.appointment(DOC, 'appt-1'));
    expect(marker?.expiresAt as number).toBeGreaterThan(appointment?.expiresAt as number);
    // The message it sent is a health record: kept the legal retention (SPEC 11.6: 20 years by default)
    // after it was sent — the thread after its last message — then deleted by TTL, never earlier.
    const thread = await item(keys.thread(marker?.threadId as string));
    const message = await item(keys.message(marker?.threadId as string, marker?.messageId as string));
    expect(thread).toBeDefined();
    expect(message).toBeDefined();
    expect(message?.expiresAt).toBe(twentyYearsAfter(message?.sentAt as string));
    expect(thread?.expiresAt).toBe(twentyYearsAfter(thread?.lastMessageAt as string));
    expect(thread?.expiresAt as number).toBeGreaterThan(marker?.expiresAt as number);
  });
});

describe('scheduled messages', () => {
  const AT = '2026-05-20T07:30:00.000Z';

  it('none while pending; 90 days after it was sent, cancelled or refused', async () => {
    const sent = await scheduleNewThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Bilan',
      replyPolicy: 'none',
      sendAt: AT,
    });
    const cancelled = await scheduleNewThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Annulé',
      replyPolicy: 'none',
      sendAt: AT,
    });
    const thread = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Bonjour',
      replyPolicy: 'none',
    });
    const refused = await scheduleReply(ctx.as('practitioner-reply'), doc(), thread.thread.id, {
      body: 'Trop tard',
      sendAt: AT,
    });
    expect(await item(keys.scheduledMessage(DOC, sent.id))).not.toHaveProperty('expiresAt');

    ctx.clock.set('2026-05-15T08:00:00.000Z');
    await cancelScheduledMessage(ctx.as('practitioner-cancel-scheduled-message'), doc(), cancelled.id);
    await treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.thread.id, {});
    ctx.clock.set('2026-05-20T07:30:30.000Z');
    await sweepDueWork(ctx.as('due-work-sweep'));

    const sentItem = await item(keys.scheduledMessage(DOC, sent.id));
    expect(sentItem).toMatchObject({ scheduledStatus: 'sent' });
    expect(sentItem?.expiresAt).toBe(seconds(sentItem?.sentAt as string) + 90 * DAY);
    expect((await item(keys.scheduledMessage(DOC, cancelled.id)))?.expiresAt).toBe(
      seconds('2026-05-15T08:00:00.000Z') + 90 * DAY,
    );
    const refusedItem = await item(keys.scheduledMessage(DOC, refused.id));
    expect(refusedItem).toMatchObject({ scheduledStatus: 'refused', refusalReason: 'THREAD_CLOSED' });
    expect(refusedItem?.expiresAt).toBe(seconds(refusedItem?.refusedAt as string) + 90 * DAY);
    // What it sent is a message: the medical record's retention (20 years after it was sent), not 90 days.
    const message = await item(keys.message(sentItem?.threadId as string, sentItem?.messageId as string));
    expect(message).toBeDefined();
    expect(message?.expiresAt).toBe(twentyYearsAfter(message?.sentAt as string));
  });
});

describe('group communications', () => {
  it('the communication and its text: a year after creation', async () => {
    const created = await createCommunication(ctx.as('practitioner-create-communication'), doc(), {
      body: 'Le cabinet sera fermé le 1er juin.',
      audience: { all: true },
    });
    const expected = seconds(NOW) + 365 * DAY;
    expect((await item(keys.communication(DOC, created.id)))?.expiresAt).toBe(expected);
    expect((await item(keys.communicationContent(DOC, created.id)))?.expiresAt).toBe(expected);
  });
});

describe('health records and read receipts', () => {
  it('a thread, its messages and its moved read marks expire only after the legal retention (20 years)', async () => {
    const started = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Bonjour',
      replyPolicy: 'until_closed',
    });
    const threadId = started.thread.id;
    for (let i = 0; i < 25; i++) {
      ctx.clock.advance(1_000);
      await readAsPatient(ctx.as('patient-read-thread'), ctx.patient(PAT), threadId);
      ctx.clock.advance(1_000);
      await replyAsPractitioner(ctx.as('practitioner-reply'), doc(), threadId, { body: `R${i}` });
    }
    const { Items = [] } = await ctx.db.client.send(
      new QueryCommand({
        TableName: ctx.db.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.threadPartition(threadId) },
      }),
    );
    expect(Items.filter((i) => String(i.sk).startsWith('THREAD#READ#')).length).toBeGreaterThan(0);
    expect(Items.length).toBe(1 + 26 + 5);
    for (const stored of Items) {
      const from = (stored.lastMessageAt ?? stored.sentAt ?? stored.at) as string;
      expect(stored.expiresAt, String(stored.sk)).toBe(twentyYearsAfter(from));
    }
  });
});
