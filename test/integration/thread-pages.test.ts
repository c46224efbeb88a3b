/**
 * Paginated thread views (SPEC 11.1) on DynamoDB Local: both roles get the
 * newest messages, oldest first within a page, and a cursor to older ones;
 * read receipts stay right on older pages; one Query per first page.
 */
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../shared/db/cursor.ts';
import { auditKeys, keys } from '../../shared/db/keys.ts';
import type { AuditActor } from '../../shared/domain/audit.ts';
import { withAuditContext } from '../../shared/use-cases/audit.ts';
import {
  getPatientThread,
  readAsPatient,
  startPatientRequest,
  writeAsPatient,
} from '../../shared/use-cases/patient-messaging.ts';
import { getPractitionerThread, replyAsPractitioner } from '../../shared/use-cases/practitioner-messaging.ts';
import { createTestContext, type TestContext } from './harness.ts';

const DOC = 'dr-martin';
const PAT = 'pat-camille';

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestContext();
  await ctx.enrol(DOC, PAT);
});

const doc = () => ctx.practitioner(DOC);
const pat = () => ctx.patient(PAT);

/**
 * A patient request with `count` messages in all, one second apart: the
 * practitioner answers every 10th (under until_closed, so the patient may go on).
 * Returns the ids in send order.
 */
const threadWith = async (count: number, body = (i: number) => `Message ${i}`) => {
  const started = await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
    practitionerId: DOC,
    body: body(0),
  });
  const ids = [started.message.id];
  for (let i = 1; i < count; i++) {
    ctx.clock.advance(1_000);
    const written =
      i % 10 === 0
        ? await replyAsPractitioner(ctx.as('practitioner-reply'), doc(), started.thread.id, {
            body: body(i),
            replyPolicy: 'until_closed',
          })
        : await writeAsPatient(ctx.as('patient-write'), pat(), started.thread.id, { body: body(i) });
    ids.push(written.message.id);
  }
  return { threadId: started.thread.id, ids };
};

type View = 'practitioner' | 'patient';
const view = (who: View, threadId: string, page: { limit?: number; cursor?: string } = {}) =>
  who === 'practitioner'
    ? getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), threadId, page)
    : getPatientThread(ctx.as('patient-get-thread'), pat(), threadId, page);

/** Every page from the newest, as a client scrolls up. */
const allPages = async (who: View, threadId: string, limit?: number) => {
  const pages: Awaited<ReturnType<typeof view>>[] = [];
  let cursor: string | undefined;
  do {
    const page = await view(who, threadId, {
      ...(limit !== undefined && { limit }),
      ...(cursor && { cursor }),
    });
    pages.push(page);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && pages.length < 200);
  return pages;
};

describe('120 messages', () => {
  it.each(['practitioner', 'patient'] as const)(
    '%s view: pages of 50/50/20, newest page first, oldest first within a page, no gap or duplicate',
    async (who) => {
      const { threadId, ids } = await threadWith(120);
      const pages = await allPages(who, threadId);
      expect(pages.map((p) => p.messages.length)).toEqual([50, 50, 20]);
      expect(pages.map((p) => p.nextCursor === null)).toEqual([false, false, true]);
      expect(pages[0]?.messages.map((m) => m.id)).toEqual(ids.slice(70));
      expect(pages[1]?.messages.map((m) => m.id)).toEqual(ids.slice(20, 70));
      expect(pages[2]?.messages.map((m) => m.id)).toEqual(ids.slice(0, 20));
      // Read back to front, the pages are the whole thread in order, each message once.
      const all = pages.toReversed().flatMap((p) => p.messages);
      expect(all.map((m) => m.id)).toEqual(ids);
      expect(all.map((m) => m.body)).toEqual(ids.map((_, i) => `Message ${i}`));
      const sentAt = all.map((m) => m.sentAt);
      expect(sentAt).toEqual([...sentAt].sort());
      for (const page of pages) expect(page.thread).toMatchObject({ id: threadId, status: 'open' });
    },
  );

  it('any page size from 1 to 100 gives the same messages in the same order', async () => {
    const { threadId, ids } = await threadWith(120);
    for (const limit of [1, 7, 49, 50, 51, 100]) {
      const pages = await allPages('practitioner', threadId, limit);
      expect(pages).toHaveLength(Math.ceil(120 / limit));
      expect(pages.toReversed().flatMap((p) => p.messages.map((m) => m.id))).toEqual(ids);
      expect(pages.slice(0, -1).every((p) => p.messages.length === limit)).toBe(true);
    }
  }, 60_000);
});

describe('page boundaries', () => {
  it('exactly the page size: one page and nextCursor null; one more: a page of one', async () => {
    const { threadId, ids } = await threadWith(50);
    const only = await view('patient', threadId);
    expect(only.messages.map((m) => m.id)).toEqual(ids);
    expect(only.nextCursor).toBeNull();

    ctx.clock.advance(1_000);
    const extra = await writeAsPatient(ctx.as('patient-write'), pat(), threadId, { body: 'Un de plus' });
    const first = await view('patient', threadId);
    expect(first.messages.map((m) => m.id)).toEqual([...ids.slice(1), extra.message.id]);
    const second = await view('patient', threadId, { cursor: first.nextCursor as string });
    expect(second.messages.map((m) => m.id)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeNull();
  });

  it('a message written between two pages does not shift the older pages', async () => {
    const { threadId, ids } = await threadWith(60);
    const first = await view('practitioner', threadId, { limit: 30 });
    ctx.clock.advance(1_000);
    await writeAsPatient(ctx.as('patient-write'), pat(), threadId, { body: 'Nouveau' });
    const second = await view('practitioner', threadId, { limit: 30, cursor: first.nextCursor as string });
    expect(second.messages.map((m) => m.id)).toEqual(ids.slice(0, 30));
    expect(second.nextCursor).toBeNull();
  });

  it('a full page of 5,000-character messages (over 1 MB) still holds 100 messages', async () => {
    const { threadId, ids } = await threadWith(101, (i) => `${i} ${'€'.repeat(4_990)}`);
    const first = await view('practitioner', threadId, { limit: 100 });
    expect(first.messages.map((m) => m.id)).toEqual(ids.slice(1));
    const second = await view('practitioner', threadId, { limit: 100, cursor: first.nextCursor as string });
    expect(second.messages.map((m) => m.id)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeNull();
  }, 60_000);
});

describe('read receipts on older pages', () => {
  it('readByPatientAt comes from the thread item, right on every page; never in the patient view', async () => {
    const { threadId } = await threadWith(31); // practitioner messages at 10, 20, 30
    ctx.clock.advance(1_000);
    await readAsPatient(ctx.as('patient-read-thread'), pat(), threadId);
    const readAt = ctx.clock.now().toISOString();
    for (let i = 0; i < 70; i++) {
      ctx.clock.advance(1_000);
      await writeAsPatient(ctx.as('patient-write'), pat(), threadId, { body: `Suite ${i}` });
    }
    ctx.clock.advance(1_000);
    const unread = await replyAsPractitioner(ctx.as('practitioner-reply'), doc(), threadId, {
      body: 'Pas encore lu',
    });

    const pages = await allPages('practitioner', threadId);
    expect(pages.map((p) => p.messages.length)).toEqual([50, 50, 2]);
    const practitionerMessages = pages
      .toReversed()
      .flatMap((p) => p.messages)
      .filter((m) => m.sender === 'practitioner');
    expect(practitionerMessages.map((m) => ('readByPatientAt' in m ? m.readByPatientAt : 'absent'))).toEqual([
      readAt,
      readAt,
      readAt,
      null,
    ]);
    expect(practitionerMessages.at(-1)?.id).toBe(unread.message.id);
    // The oldest page (where the first answers are) shows them read.
    expect(pages[2]?.messages).toHaveLength(2);
    expect(pages[1]?.messages.filter((m) => m.sender === 'practitioner')).toHaveLength(3);

    const patientPages = await allPages('patient', threadId);
    expect(JSON.stringify(patientPages)).not.toContain('readByPatientAt');
    expect(patientPages[0]?.thread).toMatchObject({ unread: true, unreadCount: 1 });
  });
});

describe('the practitioner view is audited page by page', () => {
  it('thread.viewed with the page asked for (its size, and the message it starts before)', async () => {
    const { threadId } = await threadWith(120);
    const actor: AuditActor = { role: 'practitioner', id: DOC };
    let cursor: string | undefined;
    let n = 0;
    const oldestShown: string[] = [];
    do {
      n += 1;
      const deps = withAuditContext(ctx.as('practitioner-get-thread'), { actor, requestId: `req-${n}` });
      const page = await getPractitionerThread(deps, doc(), threadId, { ...(cursor && { cursor }) });
      oldestShown.push(page.messages[0]?.id as string);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const { Items = [] } = await ctx.db.client.send(
      new QueryCommand({
        TableName: ctx.db.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': auditKeys.threadPartition(threadId) },
      }),
    );
    const viewed = Items.filter((e) => e.action === 'thread.viewed');
    expect(viewed.map((e) => [e.requestId, e.details])).toEqual([
      ['req-1', { limit: 50, before: 'newest' }],
      ['req-2', { limit: 50, before: oldestShown[0] }],
      ['req-3', { limit: 50, before: oldestShown[1] }],
    ]);
  });

  it('records no view of a thread that is not the practitioner’s, nor of a forged cursor', async () => {
    const { threadId } = await threadWith(3);
    const actor: AuditActor = { role: 'practitioner', id: 'dr-someone-else' };
    const deps = withAuditContext(ctx.as('practitioner-get-thread'), { actor, requestId: 'req-other' });
    await expect(
      getPractitionerThread(deps, ctx.practitioner('dr-someone-else'), threadId),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const mine = withAuditContext(ctx.as('practitioner-get-thread'), {
      actor: { role: 'practitioner', id: DOC },
      requestId: 'req-forged',
    });
    await expect(getPractitionerThread(mine, doc(), threadId, { cursor: 'forged' })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    const { Items = [] } = await ctx.db.client.send(
      new QueryCommand({
        TableName: ctx.db.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': auditKeys.threadPartition(threadId) },
      }),
    );
    expect(Items.filter((e) => e.action === 'thread.viewed')).toEqual([]);
  });
});

describe('cost', () => {
  it('a first page is one Query (thread item included); an older page a Query and a GetItem', async () => {
    const { threadId } = await threadWith(60);
    let cursor = '';
    expect(
      await ctx.commandsOf('practitioner-get-thread', async () => {
        cursor = (await getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), threadId))
          .nextCursor as string;
      }),
    ).toEqual(['Query']);
    expect(
      (
        await ctx.commandsOf('practitioner-get-thread', () =>
          getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), threadId, { cursor }),
        )
      ).sort(),
    ).toEqual(['GetItem', 'Query']);
  });
});

describe('cursors', () => {
  it('a cursor is only valid on its own thread, and ownership is still checked', async () => {
    const { threadId } = await threadWith(60);
    const other = await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: DOC,
      body: 'Autre',
    });
    const { nextCursor } = await view('practitioner', threadId);
    await expect(
      getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), other.thread.id, {
        cursor: nextCursor as string,
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(
      getPractitionerThread(ctx.as('practitioner-get-thread'), ctx.practitioner('dr-other'), threadId, {
        cursor: nextCursor as string,
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      getPatientThread(ctx.as('patient-get-thread'), ctx.patient('pat-other'), threadId, {
        cursor: nextCursor as string,
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a forged or malformed cursor is a VALIDATION_ERROR, never a database error', async () => {
    const { threadId } = await threadWith(3);
    const pk = keys.threadPartition(threadId);
    const forge = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
    for (const cursor of [
      'not-a-cursor',
      forge({ pk }),
      forge({ pk, sk: 'THREAD' }),
      forge({ pk, sk: 'MSG#' }),
      forge({ pk, sk: `MSG#${'A'.repeat(1_500)}` }),
      forge({ pk, sk: 'MSG#../x' }),
      forge({ pk, sk: 'MSG#01KRJQZT00A4X36JEQ8DXF2SB6', gsi1pk: 'x' }),
      forge({ pk, sk: 42 }),
      forge([pk]),
      forge({ pk: 'THREAD#someone-else', sk: 'MSG#01KRJQZT00A4X36JEQ8DXF2SB6' }),
    ]) {
      for (const who of ['practitioner', 'patient'] as const) {
        await expect(view(who, threadId, { cursor }), cursor).rejects.toMatchObject({
          code: 'VALIDATION_ERROR',
        });
      }
    }
    // Unsigned, even a well-formed key of this thread is refused (cursors are signed, SPEC 11.1)…
    await expect(
      view('patient', threadId, { cursor: forge({ pk, sk: 'MSG#ZZZZZZZZZZZZZZZZZZZZZZZZZZ' }) }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    // …while a signed one of this thread that names no message simply starts there.
    const page = await view('patient', threadId, {
      cursor:
        encodeCursor(
          { pk, sk: 'MSG#ZZZZZZZZZZZZZZZZZZZZZZZZZZ' },
          { partition: { attribute: 'pk', value: pk }, skPrefix: 'MSG#' },
        ) ?? undefined,
    });
    expect(page.messages).toHaveLength(3);
  });

  it('an item of another kind in the partition, outside [MSG#, THREAD], never reaches a page', async () => {
    const { threadId, ids } = await threadWith(3);
    for (const sk of ['ATTACHMENT#1', 'ZZZ']) {
      await ctx.db.client.send(
        new PutCommand({ TableName: ctx.db.tableName, Item: { pk: keys.threadPartition(threadId), sk } }),
      );
    }
    const page = await view('practitioner', threadId, { limit: 3 });
    expect(page.messages.map((m) => m.id)).toEqual(ids);
    expect(page.nextCursor).toBeNull();
  });
});
