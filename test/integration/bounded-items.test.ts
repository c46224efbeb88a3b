/**
 * Bounded items on DynamoDB Local (issue 12): read receipts that do not grow the
 * thread item (ADR 0007), and inbox indexes that project each side's list only,
 * so a read by one side never rewrites the other side's index entries.
 */
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { inboxKeys, keys, PATIENT_READ_MARK_SK_PREFIX } from '../../shared/db/keys.ts';
import { PATIENT_READ_MARKS } from '../../shared/domain/thread-rules.ts';
import {
  getPatientThread,
  listPatientThreads,
  readAsPatient,
  startPatientRequest,
  writeAsPatient,
} from '../../shared/use-cases/patient-messaging.ts';
import { archivePractitionerThread } from '../../shared/use-cases/practitioner-controls.ts';
import {
  getPractitionerThread,
  listPractitionerThreads,
  readAsPractitioner,
  replyAsPractitioner,
  startPractitionerThread,
  treatThread,
} from '../../shared/use-cases/practitioner-messaging.ts';
import { createTestContext, type TestContext } from './harness.ts';

const DOC = 'dr-martin';
const PAT = 'pat-camille';
const K = PATIENT_READ_MARKS.inline;

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestContext();
  await ctx.enrol(DOC, PAT);
});

const doc = () => ctx.practitioner(DOC);
const pat = () => ctx.patient(PAT);

const rawThread = async (threadId: string) =>
  (await ctx.db.client.send(new GetCommand({ TableName: ctx.db.tableName, Key: keys.thread(threadId) })))
    .Item as Record<string, unknown>;

const spilledItems = async (threadId: string) =>
  (
    await ctx.db.client.send(
      new QueryCommand({
        TableName: ctx.db.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: {
          ':pk': keys.threadPartition(threadId),
          ':prefix': PATIENT_READ_MARK_SK_PREFIX,
        },
      }),
    )
  ).Items ?? [];

/** Every page of the practitioner's view of a thread, newest first. */
const practitionerPages = async (threadId: string, limit: number) => {
  const pages: Awaited<ReturnType<typeof getPractitionerThread>>[] = [];
  let cursor: string | undefined;
  do {
    const page = await getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), threadId, {
      limit,
      ...(cursor && { cursor }),
    });
    pages.push(page);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return pages;
};

/** The receipts shown on every page of every size, by message id. */
const shownReceipts = async (threadId: string, limits: readonly number[]) => {
  const byLimit: Record<number, Record<string, string | null>> = {};
  for (const limit of limits) {
    const shown: Record<string, string | null> = {};
    for (const page of await practitionerPages(threadId, limit)) {
      for (const m of page.messages) {
        if (m.sender === 'practitioner')
          shown[m.id] = 'readByPatientAt' in m ? (m.readByPatientAt ?? null) : null;
      }
    }
    byLimit[limit] = shown;
  }
  return byLimit;
};

describe('read receipts stay exact while the thread item stays bounded', () => {
  it('200 reads with practitioner messages in between: ≤ K marks inline, the right receipt on every page', async () => {
    const started = await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: DOC,
      body: 'Question',
    });
    const threadId = started.thread.id;
    /** Brute force: each practitioner message is read at the first read after it, or not. */
    const expected: Record<string, string | null> = {};
    const reads: string[] = [];
    for (let i = 0; i < 200; i++) {
      ctx.clock.advance(1_000);
      const reply = await replyAsPractitioner(ctx.as('practitioner-reply'), doc(), threadId, {
        body: `Réponse ${i}`,
        replyPolicy: 'until_closed',
      });
      expected[reply.message.id] = null;
      // Sometimes two answers before the patient looks, sometimes a patient message too.
      if (i % 7 === 3) continue;
      if (i % 5 === 0) {
        ctx.clock.advance(1_000);
        await writeAsPatient(ctx.as('patient-write'), pat(), threadId, { body: `Patient ${i}` });
      }
      ctx.clock.advance(1_000);
      await readAsPatient(ctx.as('patient-read-thread'), pat(), threadId);
      const readAt = ctx.clock.now().toISOString();
      reads.push(readAt);
      for (const [id, at] of Object.entries(expected)) if (at === null) expected[id] = readAt;
      const item = await rawThread(threadId);
      expect((item.patientReadMarks as string[]).length).toBeLessThanOrEqual(K);
    }
    ctx.clock.advance(1_000);
    const unread = await replyAsPractitioner(ctx.as('practitioner-reply'), doc(), threadId, {
      body: 'Pas encore lu',
      replyPolicy: 'until_closed',
    });
    expect(unread.message).toMatchObject({ readByPatientAt: null });
    expected[unread.message.id] = null;

    const item = await rawThread(threadId);
    expect(item.patientReadMarks).toEqual(reads.slice(-K));
    expect(item.patientReadMarksSpilled).toBe(reads.length - K);
    const spilled = await spilledItems(threadId);
    expect(spilled.map((s) => s.at)).toEqual(reads.slice(0, -K));
    // The thread item's size no longer depends on the reads: one read mark is ~25 bytes of 20.
    expect(JSON.stringify(item).length).toBeLessThan(2_000);

    const shown = await shownReceipts(threadId, [50, 7, 100]);
    for (const receipts of Object.values(shown)) expect(receipts).toEqual(expected);
    // Older pages really needed the moved marks: early answers are read at early reads.
    expect(shown[50]?.[Object.keys(expected)[0] as string]).toBe(reads[0]);
  }, 120_000);

  it('only a page older than the inline marks reads the moved ones (one Query more)', async () => {
    const started = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Bonjour',
      replyPolicy: 'until_closed',
    });
    const threadId = started.thread.id;
    for (let i = 0; i < K + 10; i++) {
      ctx.clock.advance(1_000);
      await readAsPatient(ctx.as('patient-read-thread'), pat(), threadId);
      ctx.clock.advance(1_000);
      await replyAsPractitioner(ctx.as('practitioner-reply'), doc(), threadId, { body: `R${i}` });
    }
    // Sorted: a later page's GetItem and Query are sent in parallel. (No audit context here: no entry.)
    const commands = async (run: () => Promise<unknown>) =>
      (await ctx.commandsOf('practitioner-get-thread', run)).sort();
    const view = (page: { limit: number; cursor?: string }) =>
      getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), threadId, page);
    let first: Awaited<ReturnType<typeof view>> | undefined;
    // The newest 10 messages were all read at inline marks: no extra read.
    expect(await commands(async () => (first = await view({ limit: 10 })))).toEqual(['Query']);
    const second = await view({ limit: 10, cursor: first?.nextCursor as string });
    expect(await commands(() => view({ limit: 10, cursor: first?.nextCursor as string }))).toEqual([
      'GetItem',
      'Query',
    ]);
    // The oldest ones were read at moved marks: one Query more.
    const third = await view({ limit: 20, cursor: second.nextCursor as string });
    expect(await commands(() => view({ limit: 20, cursor: second.nextCursor as string }))).toEqual([
      'GetItem',
      'Query',
      'Query',
    ]);
    expect(third.messages.every((m) => 'readByPatientAt' in m && m.readByPatientAt !== null)).toBe(true);
  }, 60_000);

  it('a thread written with the old unbounded list reads right, then shrinks over the next reads', async () => {
    const started = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Message 0',
      replyPolicy: 'until_closed',
    });
    const threadId = started.thread.id;
    const sent: string[] = [started.message.id];
    for (let i = 1; i < 60; i++) {
      ctx.clock.advance(10_000);
      sent.push(
        (await replyAsPractitioner(ctx.as('practitioner-reply'), doc(), threadId, { body: `M${i}` })).message
          .id,
      );
    }
    // As stored before the bound: one mark per answer, stamped by clocks that sometimes lagged (not sorted).
    const t0 = Date.parse(started.message.sentAt);
    const stamps = Array.from({ length: 60 }, (_, i) =>
      new Date(t0 + i * 10_000 + (i % 6 === 5 ? -12_000 : 5_000)).toISOString(),
    );
    const legacy = await rawThread(threadId);
    delete legacy.patientReadMarksSpilled;
    await ctx.db.client.send(
      new PutCommand({
        TableName: ctx.db.tableName,
        Item: { ...legacy, patientReadMarks: stamps, unreadForPatient: 1 },
      }),
    );
    const byId = new Map(
      (await practitionerPages(threadId, 100)).flatMap((p) => p.messages).map((m) => [m.id, m.sentAt]),
    );
    // The old rule, verbatim: the first mark in the list at or after the message.
    const legacyReceipt = (id: string) => stamps.find((s) => s >= (byId.get(id) as string)) ?? null;
    const expected = Object.fromEntries(sent.map((id) => [id, legacyReceipt(id)]));
    expect((await shownReceipts(threadId, [50, 9]))[9]).toEqual(expected);

    // Each patient read moves out at most spillPerWrite old marks, until K are left.
    const sizes: number[] = [];
    let firstNewRead: string | null = null;
    for (let i = 0; i < 6; i++) {
      ctx.clock.advance(1_000);
      await readAsPatient(ctx.as('patient-read-thread'), pat(), threadId);
      firstNewRead ??= ctx.clock.now().toISOString();
      sizes.push(((await rawThread(threadId)).patientReadMarks as string[]).length);
      ctx.clock.advance(1_000);
      await replyAsPractitioner(ctx.as('practitioner-reply'), doc(), threadId, { body: `Plus ${i}` });
    }
    expect(sizes).toEqual([51, 42, 33, 24, K, K]);
    // The same receipts, except that what was still unread is now read at the first new read.
    expect(Object.values(expected)).toContain(null);
    const after = await shownReceipts(threadId, [50, 9]);
    for (const receipts of Object.values(after)) {
      for (const id of sent) expect(receipts[id]).toBe(expected[id] ?? firstNewRead);
    }
  }, 60_000);
});

/** The index entries of a partition, as stored (every attribute the index holds). */
const indexEntries = async (index: string, partition: string) =>
  (
    await ctx.db.client.send(
      new QueryCommand({
        TableName: ctx.db.tableName,
        IndexName: index,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': `${index}pk` },
        ExpressionAttributeValues: { ':pk': partition },
      }),
    )
  ).Items ?? [];

const practitionerEntries = () =>
  Promise.all([
    indexEntries('gsi1', inboxKeys.practitionerAll(DOC)),
    indexEntries('gsi2', inboxKeys.practitionerByStatus(DOC, 'open')),
    indexEntries('gsi3', inboxKeys.practitionerUntreated(DOC)),
  ]);
const patientEntries = () => indexEntries('gsi4', inboxKeys.patientAll(PAT));

describe('the inbox indexes project each side’s list only', () => {
  const threadWithBothUnread = async () => {
    const started = await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: DOC,
      body: 'Question',
    });
    ctx.clock.advance(1_000);
    await replyAsPractitioner(ctx.as('practitioner-reply'), doc(), started.thread.id, {
      body: 'Réponse',
      replyPolicy: 'until_closed',
    });
    ctx.clock.advance(1_000);
    await writeAsPatient(ctx.as('patient-write'), pat(), started.thread.id, { body: 'Merci' });
    return started.thread.id;
  };

  it('a patient read leaves the practitioner’s entries (gsi1–gsi3) exactly as they were', async () => {
    const threadId = await threadWithBothUnread();
    const before = await practitionerEntries();
    expect(before.map((entries) => entries.length)).toEqual([1, 1, 1]);
    const patientBefore = await patientEntries();
    ctx.clock.advance(1_000);
    await readAsPatient(ctx.as('patient-read-thread'), pat(), threadId);
    expect((await rawThread(threadId)).patientReadMarks).toHaveLength(1);
    expect(await practitionerEntries()).toEqual(before);
    // The patient's own entry did change: their unread count.
    const patientAfter = await patientEntries();
    expect(patientBefore[0]?.unreadForPatient).toBe(1);
    expect(patientAfter[0]?.unreadForPatient).toBe(0);
  });

  it('a practitioner read leaves the patient’s entry (gsi4) exactly as it was', async () => {
    const threadId = await threadWithBothUnread();
    const before = await patientEntries();
    ctx.clock.advance(1_000);
    await readAsPractitioner(ctx.as('practitioner-read-thread'), doc(), threadId);
    expect(await patientEntries()).toEqual(before);
    expect((await practitionerEntries())[0][0]?.unreadForPractitioner).toBe(0);
  });

  it('no entry holds the version or the read receipts, and each side’s count is on its side only', async () => {
    await threadWithBothUnread();
    const [gsi1] = await practitionerEntries();
    const [gsi4] = [await patientEntries()];
    for (const entry of [...gsi1, ...gsi4]) {
      expect(entry).not.toHaveProperty('version');
      expect(entry).not.toHaveProperty('patientReadMarks');
      expect(entry).not.toHaveProperty('practitionerReadAt');
    }
    expect(gsi1[0]).toHaveProperty('unreadForPractitioner');
    expect(gsi1[0]).not.toHaveProperty('unreadForPatient');
    expect(gsi4[0]).toHaveProperty('unreadForPatient');
    expect(gsi4[0]).not.toHaveProperty('unreadForPractitioner');
  });

  it('the lists built from the projected attributes are the views of the whole threads', async () => {
    // Threads in every state a list shows: unread both ways, answered, treated, archived, single reply used.
    const ids: string[] = [await threadWithBothUnread()];
    for (const policy of ['none', 'single', 'until_closed'] as const) {
      ctx.clock.advance(1_000);
      ids.push(
        (
          await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
            patientId: PAT,
            body: policy,
            replyPolicy: policy,
          })
        ).thread.id,
      );
    }
    ctx.clock.advance(1_000);
    await writeAsPatient(ctx.as('patient-write'), pat(), ids[2] as string, { body: 'Ma seule réponse' });
    ctx.clock.advance(1_000);
    await readAsPatient(ctx.as('patient-read-thread'), pat(), ids[3] as string);
    ctx.clock.advance(1_000);
    await treatThread(ctx.as('practitioner-treat-thread'), doc(), ids[1] as string, {});
    const archived = await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: DOC,
      body: 'À archiver',
    });
    await readAsPractitioner(ctx.as('practitioner-read-thread'), doc(), archived.thread.id);
    await treatThread(ctx.as('practitioner-treat-thread'), doc(), archived.thread.id, {});
    await archivePractitionerThread(ctx.as('practitioner-archive-thread'), doc(), archived.thread.id);
    ids.push(archived.thread.id);

    for (const filter of ['all', 'open', 'closed', 'untreated'] as const) {
      const list = await listPractitionerThreads(ctx.as('practitioner-list-threads'), doc(), {
        filter,
        limit: 50,
      });
      for (const entry of list.items) {
        const whole = await getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), entry.id);
        expect(entry).toEqual(whole.thread);
      }
      if (filter === 'all') expect(list.items).toHaveLength(ids.length - 1);
    }
    const patientList = await listPatientThreads(ctx.as('patient-list-threads'), pat(), { limit: 50 });
    expect(patientList.items).toHaveLength(ids.length);
    for (const entry of patientList.items) {
      const whole = await getPatientThread(ctx.as('patient-get-thread'), pat(), entry.id);
      expect(entry).toEqual(whole.thread);
    }
    // Both canReply answers and both unread states are among them (the comparison covers them).
    expect(new Set(patientList.items.map((t) => t.canReply))).toEqual(new Set([true, false]));
    expect(new Set(patientList.items.map((t) => t.unread))).toEqual(new Set([true, false]));
  }, 60_000);
});
