import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../shared/db/keys.ts';
import { DomainError } from '../../shared/domain/errors.ts';
import { DEFAULT_QUOTAS, type Quotas } from '../../shared/domain/quotas.ts';
import { toErrorResponse } from '../../shared/http/errors.ts';
import { createAutomation, deleteAutomation } from '../../shared/use-cases/automations.ts';
import { createCommunication, listCommunications } from '../../shared/use-cases/communications.ts';
import { listDelegates, putDelegate, removeDelegate } from '../../shared/use-cases/delegation.ts';
import { startPatientRequest } from '../../shared/use-cases/patient-messaging.ts';
import {
  practitionerSummary,
  replyAsPractitioner,
  startPractitionerThread,
  treatThread,
} from '../../shared/use-cases/practitioner-messaging.ts';
import { scheduleReply } from '../../shared/use-cases/scheduled-messages.ts';
import { createTemplate, deleteTemplate, listTemplates } from '../../shared/use-cases/templates.ts';
import { createTestContext, type TestContext, viewThenTreat } from './harness.ts';
import { cancelScheduled, deliverScheduled, scheduledList, scheduleLater } from './practice.ts';

const DOC = 'dr-quota';
const OTHER_DOC = 'dr-other';
const ABUSER = 'pat-flood';
const CALM = 'pat-calm';

let ctx: TestContext;

const setUp = async (quotas: Quotas = DEFAULT_QUOTAS, start?: string) => {
  ctx = await createTestContext(start, { quotas });
  for (const patient of [ABUSER, CALM]) {
    await ctx.enrol(DOC, patient);
    await ctx.enrol(OTHER_DOC, patient);
  }
};

const start = (patientId: string, practitionerId = DOC, body = 'Bonjour docteur') =>
  startPatientRequest(ctx.as('patient-start-thread'), ctx.patient(patientId), { practitionerId, body });

const counter = async (key: { pk: string; sk: string }) => {
  const { Item } = await ctx.db.client.send(
    new GetCommand({ TableName: ctx.db.tableName, Key: key, ConsistentRead: true }),
  );
  return Item;
};
const openCount = async (patientId: string, practitionerId = DOC) =>
  (await counter(keys.patientQuota(patientId, `OPEN#${practitionerId}`)))?.n ?? 0;
const dayCount = async (patientId: string, day: string) =>
  (await counter(keys.patientQuota(patientId, `DAY#${day}`)))?.n ?? 0;

const threadsOf = async (patientId: string) => {
  const { Items } = await ctx.db.client.send(
    new QueryCommand({
      TableName: ctx.db.tableName,
      IndexName: 'gsi4',
      KeyConditionExpression: 'gsi4pk = :pk',
      ExpressionAttributeValues: { ':pk': `PAT#${patientId}#THREADS` },
    }),
  );
  return Items ?? [];
};

describe('per-patient quotas, enforced by the database', () => {
  beforeEach(async () => setUp());

  it('20 parallel starts by one patient with a limit of 3: exactly 3 commit, 17 QUOTA_EXCEEDED, counter = 3', {
    timeout: 60_000,
  }, async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => start(ABUSER, DOC, `n°${i}`)),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(ok).toHaveLength(3);
    expect(refused).toHaveLength(17);
    for (const reason of refused) {
      expect(reason).toBeInstanceOf(DomainError);
      expect(reason).toMatchObject({
        code: 'QUOTA_EXCEEDED',
        details: { quota: 'openRequestsPerPatientPerPractitioner', limit: 3 },
      });
    }
    expect(await openCount(ABUSER)).toBe(3);
    // Refused starts wrote nothing: 3 threads, the day window counts 3, the practitioner sees 3 open.
    expect(await threadsOf(ABUSER)).toHaveLength(3);
    expect(await dayCount(ABUSER, '2026-05-14')).toBe(3);
    expect(
      (await practitionerSummary(ctx.as('practitioner-summary'), ctx.practitioner(DOC))).openThreads,
    ).toBe(3);
    expect(ctx.published.filter((e) => e.detailType === 'ThreadStarted')).toHaveLength(3);
  });

  it('the 429 carries Retry-After and the JSON error shape', async () => {
    for (let i = 0; i < 3; i++) await start(ABUSER);
    const error = await start(ABUSER).catch((e: unknown) => e);
    const response = toErrorResponse(error);
    expect(response?.statusCode).toBe(429);
    expect(response?.headers?.['retry-after']).toBe('3600');
    expect(JSON.parse(response?.body ?? '{}')).toEqual({
      error: {
        code: 'QUOTA_EXCEEDED',
        message: expect.any(String),
        details: { quota: 'openRequestsPerPatientPerPractitioner', limit: 3, retryAfterSeconds: 3600 },
      },
    });
  });

  it('one patient at the limit takes nothing from another patient nor from another practitioner', async () => {
    for (let i = 0; i < 3; i++) await start(ABUSER);
    await expect(start(ABUSER)).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
    for (let i = 0; i < 3; i++) await start(CALM);
    await start(ABUSER, OTHER_DOC);
    expect(await openCount(CALM)).toBe(3);
    expect(await openCount(ABUSER, OTHER_DOC)).toBe(1);
  });

  it('a treat frees a slot in its own transaction; so does a reply that marks treated', async () => {
    const first = await start(ABUSER);
    const second = await start(ABUSER);
    await start(ABUSER);
    await expect(start(ABUSER)).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });

    await viewThenTreat(ctx, ctx.practitioner(DOC), first.thread.id);
    expect(await openCount(ABUSER)).toBe(2);
    await start(ABUSER);
    expect(await openCount(ABUSER)).toBe(3);

    await replyAsPractitioner(ctx.as('practitioner-reply'), ctx.practitioner(DOC), second.thread.id, {
      body: 'Réponse et clôture',
      markTreated: true,
      lastSeenMessageId: second.message.id,
    });
    expect(await openCount(ABUSER)).toBe(2);
    await start(ABUSER);
    // A treat refused (already closed) releases nothing.
    await expect(
      treatThread(ctx.as('practitioner-treat-thread'), ctx.practitioner(DOC), first.thread.id),
    ).rejects.toMatchObject({ code: 'THREAD_CLOSED' });
    expect(await openCount(ABUSER)).toBe(3);
  });

  it('parallel treats of the same thread release exactly one slot', async () => {
    const { thread } = await start(ABUSER);
    await start(ABUSER);
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => viewThenTreat(ctx, ctx.practitioner(DOC), thread.id)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await openCount(ABUSER)).toBe(1);
  });

  it('a request opened before quotas existed (no counter) can still be treated; the counter stays at 0', async () => {
    const { thread } = await start(ABUSER);
    await ctx.db.client.send(
      new DeleteCommand({ TableName: ctx.db.tableName, Key: keys.patientQuota(ABUSER, `OPEN#${DOC}`) }),
    );
    await viewThenTreat(ctx, ctx.practitioner(DOC), thread.id);
    expect(await openCount(ABUSER)).toBe(0);
  });
});

describe('the patient day window (Europe/Paris)', () => {
  const quotas = { ...DEFAULT_QUOTAS, openRequestsPerPatientPerPractitioner: 100, patientRequestsPerDay: 2 };
  // 10:00 in Paris (CEST): the next Paris midnight is 22:00 UTC, 14 hours away.
  beforeEach(async () => setUp(quotas, '2026-05-14T08:00:00.000Z'));

  it('RATE_LIMITED until the next Paris midnight, then the window rolls over', async () => {
    await start(ABUSER);
    await start(ABUSER, OTHER_DOC);
    const error = await start(ABUSER).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(error).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: 14 * 3600 } });
    expect(toErrorResponse(error)?.headers?.['retry-after']).toBe(String(14 * 3600));
    expect(await dayCount(ABUSER, '2026-05-14')).toBe(2);
    // The refused start took no open slot either.
    expect(await openCount(ABUSER)).toBe(1);

    ctx.clock.set('2026-05-14T21:59:59.000Z');
    await expect(start(ABUSER)).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      details: { retryAfterSeconds: 1 },
    });
    ctx.clock.set('2026-05-14T22:00:00.000Z'); // midnight in Paris
    await start(ABUSER);
    expect(await dayCount(ABUSER, '2026-05-15')).toBe(1);
    // The window item expires by TTL two days after its day ended.
    const window = await counter(keys.patientQuota(ABUSER, `DAY#${'2026-05-15'}`));
    expect(window?.expiresAt).toBe(Date.parse('2026-05-15T22:00:00.000Z') / 1000 + 2 * 86_400);
    // Another patient's window is their own.
    await start(CALM);
    await start(CALM);
  });
});

describe('per-practitioner quotas', () => {
  const quotas: Quotas = {
    ...DEFAULT_QUOTAS,
    templatesPerPractitioner: 2,
    automationsPerPractitioner: 1,
    delegatesPerPractitioner: 2,
    communicationsPerPractitionerPerDay: 1,
  };
  beforeEach(async () => setUp(quotas, '2026-05-14T08:00:00.000Z'));
  const doc = () => ctx.practitioner(DOC);
  const template = (name: string, practitionerId = DOC) =>
    createTemplate(ctx.as('practitioner-create-template'), ctx.practitioner(practitionerId), {
      name,
      body: 'Bonjour {{patient.firstName}}',
    });
  const kept = async (practitionerId: string, name: string) =>
    (await counter(keys.practitionerQuota(practitionerId, name)))?.n ?? 0;

  it('10 parallel template creations with a limit of 2: exactly 2 saved; a delete frees a slot', async () => {
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => template(`t${i}`)));
    const saved = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(saved).toHaveLength(2);
    for (const r of results) {
      if (r.status === 'rejected')
        expect(r.reason).toMatchObject({
          code: 'QUOTA_EXCEEDED',
          details: { quota: 'templatesPerPractitioner' },
        });
    }
    const listed = await listTemplates(ctx.as('practitioner-list-templates'), doc(), { limit: 20 });
    expect(listed.items).toHaveLength(2);
    expect(await kept(DOC, 'templatesPerPractitioner')).toBe(2);
    // Another practitioner's quota is their own.
    await template('autre', OTHER_DOC);

    await deleteTemplate(ctx.as('practitioner-delete-template'), doc(), (saved[0] as { id: string }).id);
    expect(await kept(DOC, 'templatesPerPractitioner')).toBe(1);
    await template('again');
    await expect(template('one more')).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
    // A delete refused (unknown template) releases nothing.
    await expect(
      deleteTemplate(ctx.as('practitioner-delete-template'), doc(), 'missing'),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await kept(DOC, 'templatesPerPractitioner')).toBe(2);
  });

  it('delegates: 10 parallel new grants with a limit of 2 → exactly 2; a replace counts nothing; a revoke frees one', async () => {
    const grant = (assistantId: string) =>
      putDelegate(ctx.as('practitioner-put-delegate'), doc(), assistantId, {
        displayName: 'Secrétariat',
        scopes: ['inbox'],
      });
    // The same new assistant 5 times at once: one grant, counted once.
    const same = await Promise.all(Array.from({ length: 5 }, () => grant('a-same')));
    expect(same.filter((r) => r.created)).toHaveLength(1);
    expect(await kept(DOC, 'delegatesPerPractitioner')).toBe(1);

    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => grant(`a-${i}`)));
    const created = results.filter((r) => r.status === 'fulfilled');
    expect(created).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected')
        expect(r.reason).toMatchObject({
          code: 'QUOTA_EXCEEDED',
          details: { quota: 'delegatesPerPractitioner' },
        });
    const listed = await listDelegates(ctx.as('practitioner-list-delegates'), doc(), { limit: 20 });
    expect(listed.items).toHaveLength(2);
    expect(await kept(DOC, 'delegatesPerPractitioner')).toBe(2);

    // Replacing a grant (new scopes) is not a new delegate.
    expect((await grant('a-same')).created).toBe(false);
    await removeDelegate(ctx.as('practitioner-delete-delegate'), doc(), 'a-same');
    expect(await kept(DOC, 'delegatesPerPractitioner')).toBe(1);
    await expect(
      removeDelegate(ctx.as('practitioner-delete-delegate'), doc(), 'a-same'),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await kept(DOC, 'delegatesPerPractitioner')).toBe(1);
    expect((await grant('a-new')).created).toBe(true);
    await expect(grant('a-one-more')).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
  });

  it('automations: the limit refuses the second, a delete frees it; the template usage stays exact', async () => {
    const t = await template('suivi');
    const automation = () =>
      createAutomation(ctx.as('practitioner-create-automation'), doc(), {
        trigger: 'appointment_completed',
        templateId: t.id,
        delayMinutes: 0,
      });
    const first = await automation();
    await expect(automation()).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect((await ctx.deps.templates.get(DOC, t.id))?.automationCount).toBe(1);
    await deleteAutomation(ctx.as('practitioner-delete-automation'), doc(), first.id);
    expect(await kept(DOC, 'automationsPerPractitioner')).toBe(0);
    await automation();
    expect(await kept(DOC, 'automationsPerPractitioner')).toBe(1);
  });

  it('group communications per Paris day: the second is RATE_LIMITED until midnight, stores nothing', async () => {
    const communicate = () =>
      createCommunication(ctx.as('practitioner-create-communication'), doc(), {
        body: 'Le cabinet sera fermé vendredi.',
        audience: { all: true },
      });
    await communicate();
    const before = ctx.published.length;
    await expect(communicate()).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      details: { retryAfterSeconds: 14 * 3600 },
    });
    expect(ctx.published).toHaveLength(before);
    expect(
      (await listCommunications(ctx.as('practitioner-list-communications'), doc(), { limit: 20 })).items,
    ).toHaveLength(1);
    ctx.clock.set('2026-05-14T22:00:00.000Z');
    await communicate();
  });
});

describe('pending scheduled messages per practitioner', () => {
  const LIMIT = 5;
  const SEND_AT = '2026-05-20T07:30:00.000Z';
  beforeEach(async () =>
    setUp({ ...DEFAULT_QUOTAS, pendingScheduledMessagesPerPractitioner: LIMIT }, '2026-05-14T08:00:00.000Z'),
  );
  const doc = () => ctx.practitioner(DOC);
  const pendingCount = async (practitionerId = DOC) =>
    (await counter(keys.practitionerQuota(practitionerId, 'pendingScheduledMessagesPerPractitioner')))?.n ??
    0;
  const later = (patientId = ABUSER, practitionerId = DOC) =>
    scheduleLater(ctx, practitionerId, { patientId, body: 'Votre résultat est arrivé', sendAt: SEND_AT });
  const deliver = (scheduledMessageId: string) => deliverScheduled(ctx, DOC, scheduledMessageId);
  const cancel = (scheduledMessageId: string) => cancelScheduled(ctx, DOC, scheduledMessageId);
  const pendingListed = () => scheduledList(ctx, DOC, 'scheduled');

  it('12 parallel creations with 2 already pending and a limit of 5: exactly 3 commit, the rest 429', async () => {
    await later();
    await later(CALM);
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => later()));
    const created = results.filter((r) => r.status === 'fulfilled');
    expect(created).toHaveLength(3);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toMatchObject({
          code: 'QUOTA_EXCEEDED',
          details: { quota: 'pendingScheduledMessagesPerPractitioner', limit: LIMIT },
        });
        expect(toErrorResponse(r.reason)?.statusCode).toBe(429);
      }
    }
    expect(await pendingListed()).toHaveLength(LIMIT);
    expect(await pendingCount()).toBe(LIMIT);
    // Refused ones stored nothing: no due work beyond the 5 messages'.
    const { Items } = await ctx.db.client.send(
      new QueryCommand({
        TableName: ctx.db.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
        ExpressionAttributeValues: { ':pk': `PRAC#${DOC}`, ':sk': 'SCHEDMSG#' },
      }),
    );
    expect(Items).toHaveLength(LIMIT);
    // Another practitioner's pending messages are their own.
    await later(ABUSER, OTHER_DOC);
    expect(await pendingCount(OTHER_DOC)).toBe(1);
  });

  it('each way out of pending releases one: sent, cancelled, refused at delivery; a second cancel nothing', async () => {
    const sent = await later();
    const cancelled = await later();
    const { thread } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: CALM,
      body: 'Bonjour',
    });
    const refused = await scheduleReply(ctx.as('practitioner-reply'), doc(), thread.id, {
      body: 'Trop tard',
      sendAt: SEND_AT,
    });
    expect(await pendingCount()).toBe(3);

    await cancel(cancelled.id);
    expect(await pendingCount()).toBe(2);
    await cancel(cancelled.id); // already cancelled: no change, nothing released again
    expect(await pendingCount()).toBe(2);

    await treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.id);
    ctx.clock.set(SEND_AT);
    expect(await deliver(sent.id)).toMatchObject({ outcome: 'sent' });
    expect(await pendingCount()).toBe(1);
    expect(await deliver(refused.id)).toMatchObject({ outcome: 'refused', reason: 'THREAD_CLOSED' });
    expect(await pendingCount()).toBe(0);
    // Replays of the due work (a second sweep, a run after a crash) release nothing more.
    expect(await deliver(sent.id)).toMatchObject({ outcome: 'skipped' });
    expect(await deliver(refused.id)).toMatchObject({ outcome: 'skipped' });
    await expect(cancel(sent.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await pendingCount()).toBe(0);
  });

  it('parallel cancels and deliveries of the same message: one wins, the count is released once', async () => {
    const messages = await Promise.all(Array.from({ length: 4 }, () => later()));
    const keep = await later();
    expect(await pendingCount()).toBe(5);
    ctx.clock.set(SEND_AT);
    await Promise.allSettled(
      messages.flatMap((m) => [cancel(m.id), deliver(m.id), cancel(m.id), deliver(m.id), deliver(m.id)]),
    );
    const history = await scheduledList(ctx, DOC, 'all');
    for (const m of messages) {
      expect(['sent', 'cancelled']).toContain(history.find((h) => h.id === m.id)?.status);
    }
    expect(await pendingCount()).toBe(1);
    expect((await pendingListed()).map((m) => m.id)).toEqual([keep.id]);
  });

  it('a message scheduled before quotas (not counted) ends without taking from the count', async () => {
    const counted = await later();
    const legacy = await later();
    // As stored before quotas: no quotaCounted flag, and the count never saw it.
    await ctx.db.client.send(
      new UpdateCommand({
        TableName: ctx.db.tableName,
        Key: keys.scheduledMessage(DOC, legacy.id),
        UpdateExpression: 'REMOVE quotaCounted',
      }),
    );
    await ctx.db.client.send(
      new UpdateCommand({
        TableName: ctx.db.tableName,
        Key: keys.practitionerQuota(DOC, 'pendingScheduledMessagesPerPractitioner'),
        UpdateExpression: 'ADD n :minusOne',
        ExpressionAttributeValues: { ':minusOne': -1 },
      }),
    );
    expect(await pendingCount()).toBe(1);
    await cancel(legacy.id);
    expect(await pendingCount()).toBe(1);
    await cancel(counted.id);
    expect(await pendingCount()).toBe(0);
  });
});
