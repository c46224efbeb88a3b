import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_QUOTAS } from '../../shared/domain/quotas.ts';
import {
  getPatientThread,
  listPatientThreads,
  patientSummary,
  readAsPatient,
  startPatientRequest,
  writeAsPatient,
} from '../../shared/use-cases/patient-messaging.ts';
import {
  getPatientRecord,
  putPatientRecord,
  updateSettings,
} from '../../shared/use-cases/practitioner-admin.ts';
import {
  getPractitionerThread,
  listPractitionerThreads,
  practitionerSummary,
  readAsPractitioner,
  replyAsPractitioner,
  startPractitionerThread,
  treatThread,
} from '../../shared/use-cases/practitioner-messaging.ts';
import { createTestContext, type TestContext } from './harness.ts';

let ctx: TestContext;
const DOC = 'dr-martin';
const PAT = 'pat-camille';

beforeEach(async () => {
  ctx = await createTestContext();
  await ctx.enrol(DOC, PAT);
});

describe('a whole exchange', () => {
  it('request → single reply → one answer → second refused → treat → read receipts and summaries', async () => {
    const { practitioner, patient, clock } = ctx;
    const doc = practitioner(DOC);
    const pat = patient(PAT);

    const started = await startPatientRequest(ctx.as('patient-start-thread'), pat, {
      practitionerId: DOC,
      body: 'Renouvellement ordonnance ?',
    });
    const threadId = started.thread.id;
    expect(started.thread).toMatchObject({ origin: 'patient', status: 'open', canReply: true });
    expect(started.notice).toContain('15');
    expect(await practitionerSummary(ctx.as('practitioner-summary'), doc)).toEqual({
      untreatedMessages: 1,
      unreadThreads: 1,
      openThreads: 1,
    });

    clock.advance(60_000);
    const reply = await replyAsPractitioner(ctx.as('practitioner-reply'), doc, threadId, {
      body: 'Oui, passez demain.',
      replyPolicy: 'single',
    });
    expect(reply.message).toMatchObject({ sender: 'practitioner', readByPatientAt: null });
    expect(await patientSummary(ctx.as('patient-summary'), pat)).toEqual({ unreadMessages: 1 });
    expect(await practitionerSummary(ctx.as('practitioner-summary'), doc)).toMatchObject({
      unreadThreads: 0,
      untreatedMessages: 1,
    });

    clock.advance(60_000);
    await readAsPatient(ctx.as('patient-read-thread'), pat, threadId);
    const readAt = clock.now().toISOString();
    expect(await patientSummary(ctx.as('patient-summary'), pat)).toEqual({ unreadMessages: 0 });

    clock.advance(60_000);
    const answer = await writeAsPatient(ctx.as('patient-write'), pat, threadId, {
      body: 'Merci, à quelle heure ?',
    });
    await expect(
      writeAsPatient(ctx.as('patient-write'), pat, threadId, { body: 'Et encore une question' }),
    ).rejects.toMatchObject({
      code: 'REPLY_NOT_ALLOWED',
    });
    expect((await getPatientThread(ctx.as('patient-get-thread'), pat, threadId)).thread).toMatchObject({
      canReply: false,
      replyBlockedReason: 'REPLY_NOT_ALLOWED',
    });
    expect(await practitionerSummary(ctx.as('practitioner-summary'), doc)).toEqual({
      untreatedMessages: 2,
      unreadThreads: 1,
      openThreads: 1,
    });

    // Treated from the screen showing the answer (safe treat), before marking it read.
    await treatThread(ctx.as('practitioner-treat-thread'), doc, threadId, {
      lastSeenMessageId: answer.message.id,
    });
    expect(await practitionerSummary(ctx.as('practitioner-summary'), doc)).toEqual({
      untreatedMessages: 0,
      unreadThreads: 1,
      openThreads: 0,
    });
    await readAsPractitioner(ctx.as('practitioner-read-thread'), doc, threadId);
    expect(await practitionerSummary(ctx.as('practitioner-summary'), doc)).toEqual({
      untreatedMessages: 0,
      unreadThreads: 0,
      openThreads: 0,
    });

    const practitionerView = await getPractitionerThread(ctx.as('practitioner-get-thread'), doc, threadId);
    expect(practitionerView.thread).toMatchObject({ status: 'closed', untreatedCount: 0, unread: false });
    expect(practitionerView.messages.map((m) => m.sender)).toEqual(['patient', 'practitioner', 'patient']);
    expect(practitionerView.messages[1]).toMatchObject({ readByPatientAt: readAt });

    const patientView = await getPatientThread(ctx.as('patient-get-thread'), pat, threadId);
    expect(patientView.thread).toMatchObject({
      status: 'closed',
      canReply: false,
      replyBlockedReason: 'THREAD_CLOSED',
    });
    const serialised = JSON.stringify(patientView);
    expect(serialised).not.toContain('readByPatientAt');
    expect(serialised).not.toContain('practitionerReadAt');
    expect(serialised).not.toContain('unreadForPractitioner');

    await expect(writeAsPatient(ctx.as('patient-write'), pat, threadId, { body: 'x' })).rejects.toMatchObject(
      {
        code: 'THREAD_CLOSED',
      },
    );
    await expect(
      replyAsPractitioner(ctx.as('practitioner-reply'), doc, threadId, { body: 'x' }),
    ).rejects.toMatchObject({
      code: 'THREAD_CLOSED',
    });
    await expect(treatThread(ctx.as('practitioner-treat-thread'), doc, threadId)).rejects.toMatchObject({
      code: 'THREAD_CLOSED',
    });

    expect(ctx.published.map((e) => e.detailType)).toEqual([
      'ThreadStarted',
      'MessageReceived',
      'MessageSent',
      'MessagesRead',
      'MessageReceived',
      'ThreadTreated',
      'MessagesRead',
    ]);
  });

  it('reply with markTreated answers and closes in one call', async () => {
    const { practitioner, patient } = ctx;
    const { thread, message } = await startPatientRequest(ctx.as('patient-start-thread'), patient(PAT), {
      practitionerId: DOC,
      body: 'Question',
    });
    const result = await replyAsPractitioner(ctx.as('practitioner-reply'), practitioner(DOC), thread.id, {
      body: 'Réponse',
      replyPolicy: 'none',
      markTreated: true,
      lastSeenMessageId: message.id,
    });
    expect(result.thread).toMatchObject({ status: 'closed', untreatedCount: 0 });
    expect(await practitionerSummary(ctx.as('practitioner-summary'), practitioner(DOC))).toEqual({
      untreatedMessages: 0,
      unreadThreads: 0,
      openThreads: 0,
    });
  });

  it('uses the default reply policy from the settings', async () => {
    const { practitioner } = ctx;
    await updateSettings(ctx.as('practitioner-update-settings'), practitioner(DOC), {
      defaultReplyPolicy: 'until_closed',
    });
    const { thread } = await startPractitionerThread(ctx.as('practitioner-start-thread'), practitioner(DOC), {
      patientId: PAT,
      body: 'Bonjour',
    });
    expect(thread.replyPolicy).toBe('until_closed');
  });
});

describe('the patient base', () => {
  it('refuses a request to a practitioner whose base the patient is not in, writing nothing', async () => {
    const { patient, db } = ctx;
    await expect(
      startPatientRequest(ctx.as('patient-start-thread'), patient('stranger'), {
        practitionerId: DOC,
        body: 'Bonjour',
      }),
    ).rejects.toMatchObject({ code: 'NOT_IN_PATIENT_BASE' });
    const threads = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        IndexName: 'gsi4',
        KeyConditionExpression: 'gsi4pk = :pk',
        ExpressionAttributeValues: { ':pk': 'PAT#stranger#THREADS' },
      }),
    );
    expect(threads.Items).toEqual([]);
    expect(await practitionerSummary(ctx.as('practitioner-summary'), ctx.practitioner(DOC))).toEqual({
      untreatedMessages: 0,
      unreadThreads: 0,
      openThreads: 0,
    });
  });

  it('lets a practitioner write only to patients of their base (404 otherwise)', async () => {
    await expect(
      startPractitionerThread(ctx.as('practitioner-start-thread'), ctx.practitioner(DOC), {
        patientId: 'someone-else',
        body: 'Bonjour',
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('keeps a record per practitioner and never leaks another practitioner’s record', async () => {
    const { practitioner } = ctx;
    const put = await putPatientRecord(ctx.as('practitioner-put-patient'), practitioner('dr-other'), 'p2', {
      firstName: 'Léa',
      lastName: 'Durand',
      email: 'lea@example.org',
      attributes: {
        primaryCare: true,
        ald: false,
        chronic: true,
        pregnancyFollowUp: false,
        needsSupport: false,
      },
    });
    expect(put.created).toBe(true);
    expect(
      await getPatientRecord(ctx.as('practitioner-get-patient'), practitioner('dr-other'), 'p2'),
    ).toMatchObject({
      firstName: 'Léa',
      blocked: false,
      allowed: false,
      attributes: { primaryCare: true, chronic: true, ald: false },
    });
    await expect(
      getPatientRecord(ctx.as('practitioner-get-patient'), practitioner(DOC), 'p2'),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('ownership', () => {
  it("answers NOT_FOUND for someone else's thread, for every operation", async () => {
    const { practitioner, patient } = ctx;
    const { thread } = await startPatientRequest(ctx.as('patient-start-thread'), patient(PAT), {
      practitionerId: DOC,
      body: 'Privé',
    });
    const otherDoc = practitioner('dr-other');
    const otherPat = patient('pat-other');
    const refusals = [
      () => getPractitionerThread(ctx.as('practitioner-get-thread'), otherDoc, thread.id),
      () => replyAsPractitioner(ctx.as('practitioner-reply'), otherDoc, thread.id, { body: 'x' }),
      () => treatThread(ctx.as('practitioner-treat-thread'), otherDoc, thread.id),
      () => readAsPractitioner(ctx.as('practitioner-read-thread'), otherDoc, thread.id),
      () => getPatientThread(ctx.as('patient-get-thread'), otherPat, thread.id),
      () => writeAsPatient(ctx.as('patient-write'), otherPat, thread.id, { body: 'x' }),
      () => readAsPatient(ctx.as('patient-read-thread'), otherPat, thread.id),
    ];
    for (const refusal of refusals) await expect(refusal()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(
      (await getPractitionerThread(ctx.as('practitioner-get-thread'), practitioner(DOC), thread.id)).messages,
    ).toHaveLength(1);
  });
});

describe('inbox lists', () => {
  // Five open requests from one patient: past the default quota of 3 (ADR 0011), which is not what this tests.
  beforeEach(async () => {
    ctx = await createTestContext(undefined, {
      quotas: { ...DEFAULT_QUOTAS, openRequestsPerPatientPerPractitioner: 10 },
    });
    await ctx.enrol(DOC, PAT);
  });

  it('filters untreated / open / closed / all, newest activity first, with cursor pagination', async () => {
    const { practitioner, patient, clock } = ctx;
    const doc = practitioner(DOC);
    const ids: string[] = [];
    const firstMessageIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      const started = await startPatientRequest(ctx.as('patient-start-thread'), patient(PAT), {
        practitionerId: DOC,
        body: `Demande ${i}`,
      });
      ids.push(started.thread.id);
      firstMessageIds.push(started.message.id);
    }
    clock.advance(1000);
    const practitionerThread = (
      await startPractitionerThread(ctx.as('practitioner-start-thread'), doc, {
        patientId: PAT,
        body: 'Info',
      })
    ).thread.id;
    clock.advance(1000);
    await treatThread(ctx.as('practitioner-treat-thread'), doc, ids[1] as string, {
      lastSeenMessageId: firstMessageIds[1] as string,
    });
    clock.advance(1000);
    await writeAsPatient(ctx.as('patient-write'), patient(PAT), ids[0] as string, { body: 'Relance' });

    const all = await listPractitionerThreads(ctx.as('practitioner-list-threads'), doc, {
      filter: 'all',
      limit: 20,
    });
    expect(all.items.map((t) => t.id)).toEqual([ids[0], practitionerThread, ids[4], ids[3], ids[2], ids[1]]);
    expect(all.nextCursor).toBeNull();

    const untreated = await listPractitionerThreads(ctx.as('practitioner-list-threads'), doc, {
      filter: 'untreated',
      limit: 20,
    });
    expect(untreated.items.map((t) => t.id)).toEqual([ids[0], ids[4], ids[3], ids[2]]);
    const open = await listPractitionerThreads(ctx.as('practitioner-list-threads'), doc, {
      filter: 'open',
      limit: 20,
    });
    expect(open.items.map((t) => t.id)).toEqual([ids[0], practitionerThread, ids[4], ids[3], ids[2]]);
    const closed = await listPractitionerThreads(ctx.as('practitioner-list-threads'), doc, {
      filter: 'closed',
      limit: 20,
    });
    expect(closed.items.map((t) => t.id)).toEqual([ids[1]]);

    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listPractitionerThreads(ctx.as('practitioner-list-threads'), doc, {
        filter: 'all',
        limit: 4,
        cursor,
      });
      pages.push(...page.items.map((t) => t.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages).toEqual(all.items.map((t) => t.id));

    const patientList = await listPatientThreads(ctx.as('patient-list-threads'), patient(PAT), { limit: 2 });
    expect(patientList.items).toHaveLength(2);
    expect(patientList.nextCursor).not.toBeNull();
    await expect(
      listPractitionerThreads(ctx.as('practitioner-list-threads'), practitioner('dr-other'), {
        filter: 'all',
        limit: 2,
        cursor: all.nextCursor ?? patientList.nextCursor ?? '',
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
  });
});

describe('events', () => {
  it('carry ids and timestamps, never message text', async () => {
    const { practitioner, patient } = ctx;
    const secret = 'Douleur thoracique depuis hier soir';
    const { thread, message } = await startPatientRequest(ctx.as('patient-start-thread'), patient(PAT), {
      practitionerId: DOC,
      body: secret,
    });
    await replyAsPractitioner(ctx.as('practitioner-reply'), practitioner(DOC), thread.id, {
      body: `Réponse : ${secret}`,
      markTreated: true,
      lastSeenMessageId: message.id,
    });
    expect(ctx.published.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(ctx.published)).not.toContain('Douleur');
  });
});
