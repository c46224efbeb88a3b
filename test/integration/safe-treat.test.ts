/**
 * Safe treat (SPEC 11.1) on DynamoDB Local: a treat, or a reply with
 * markTreated, never closes a thread over a patient message the practitioner
 * has not seen — 409 THREAD_CHANGED naming the newer messages, and nothing
 * changes (thread, messages, counters, audit, events). The condition is the
 * database's: a patient message committing between the practitioner's read and
 * the treat's write fails the write itself.
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { auditKeys, keys } from '../../shared/db/keys.ts';
import { OptimisticConflict } from '../../shared/db/transactions.ts';
import type { AuditActor } from '../../shared/domain/audit.ts';
import type { DomainError } from '../../shared/domain/errors.ts';
import { markTreated } from '../../shared/domain/thread-rules.ts';
import { withAuditContext } from '../../shared/use-cases/audit.ts';
import type { Deps } from '../../shared/use-cases/deps.ts';
import { startPatientRequest, writeAsPatient } from '../../shared/use-cases/patient-messaging.ts';
import { retractMessage } from '../../shared/use-cases/practitioner-controls.ts';
import {
  getPractitionerThread,
  readAsPractitioner,
  replyAsPractitioner,
  startPractitionerThread,
  treatThread,
} from '../../shared/use-cases/practitioner-messaging.ts';
import { allThreadMessages, createTestContext, type FunctionName, type TestContext } from './harness.ts';

const DOC = 'dr-martin';
const PAT = 'pat-camille';
const CHEST_PAIN = 'Douleur thoracique depuis ce matin, ça serre et ça irradie dans le bras gauche…';

let ctx: TestContext;
let request = 0;

beforeEach(async () => {
  ctx = await createTestContext();
  await ctx.enrol(DOC, PAT);
  request = 0;
});

const doctor: AuditActor = { role: 'practitioner', id: DOC };
const patientActor: AuditActor = { role: 'patient', id: PAT };
/** The Deps of function `name` for one request, audited as httpRoute does it. */
const as = (name: FunctionName, actor: AuditActor) => {
  request += 1;
  return withAuditContext(ctx.as(name), { actor, requestId: `req-${request}` });
};
const doc = () => ctx.practitioner(DOC);
const pat = () => ctx.patient(PAT);

/** Everything a treat could change, read back raw from the table. */
const snapshot = async (threadId: string) => {
  const get = async (key: { pk: string; sk: string }) =>
    (
      await ctx.db.client.send(
        new GetCommand({ TableName: ctx.db.tableName, Key: key, ConsistentRead: true }),
      )
    ).Item;
  const audit = await ctx.db.client.send(
    new QueryCommand({
      TableName: ctx.db.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': auditKeys.threadPartition(threadId) },
      ConsistentRead: true,
    }),
  );
  return {
    thread: await get(keys.thread(threadId)),
    messages: await allThreadMessages(ctx.deps.threads, threadId),
    practitionerCounters: await get(keys.practitionerCounters(DOC)),
    patientCounters: await get(keys.patientCounters(PAT)),
    patientRecord: await get(keys.patientRecord(DOC, PAT)),
    audit: audit.Items ?? [],
    events: ctx.published.length,
  };
};

const refusal = async (promise: Promise<unknown>): Promise<DomainError> => {
  try {
    await promise;
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('Expected a refusal');
};

/** A patient request the practitioner opened and read (POST /read): what they saw is the page they got. */
const requestSeenByPractitioner = async () => {
  const started = await startPatientRequest(as('patient-start-thread', patientActor), pat(), {
    practitionerId: DOC,
    body: 'Renouvellement de mon ordonnance ?',
  });
  ctx.clock.advance(60_000);
  const page = await getPractitionerThread(as('practitioner-get-thread', doctor), doc(), started.thread.id);
  await readAsPractitioner(as('practitioner-read-thread', doctor), doc(), started.thread.id);
  return { threadId: started.thread.id, seenId: page.messages.at(-1)?.id as string };
};

describe('the race: the practitioner read, the patient wrote, then the treat', () => {
  it.each([
    ['treat, without lastSeenMessageId (their last read)', 'treat', false],
    ['treat, with lastSeenMessageId', 'treat', true],
    ['reply with markTreated, without lastSeenMessageId', 'reply', false],
    ['reply with markTreated, with lastSeenMessageId', 'reply', true],
  ] as const)(
    '%s → 409 THREAD_CHANGED naming the new message; nothing changed',
    async (_name, how, withId) => {
      const { threadId, seenId } = await requestSeenByPractitioner();
      ctx.clock.advance(60_000);
      const urgent = await writeAsPatient(as('patient-write', patientActor), pat(), threadId, {
        body: CHEST_PAIN,
      });
      const before = await snapshot(threadId);
      ctx.clock.advance(60_000);

      const seen = withId ? { lastSeenMessageId: seenId } : {};
      const error = await refusal(
        how === 'treat'
          ? treatThread(as('practitioner-treat-thread', doctor), doc(), threadId, seen)
          : replyAsPractitioner(as('practitioner-reply', doctor), doc(), threadId, {
              body: 'Bonne journée',
              replyPolicy: 'none',
              markTreated: true,
              ...seen,
            }),
      );
      expect(error).toMatchObject({
        code: 'THREAD_CHANGED',
        details: { newerMessageIds: [urgent.message.id] },
      });
      expect(await snapshot(threadId)).toEqual(before);
      expect(before.thread).toMatchObject({ status: 'open', untreatedCount: 2 });

      // Seen now: the same call goes through, and the counters follow.
      const page = await getPractitionerThread(as('practitioner-get-thread', doctor), doc(), threadId);
      expect(page.messages.at(-1)).toMatchObject({ id: urgent.message.id, body: CHEST_PAIN });
      if (how === 'treat') {
        await treatThread(as('practitioner-treat-thread', doctor), doc(), threadId, {
          lastSeenMessageId: urgent.message.id,
        });
      } else {
        await replyAsPractitioner(as('practitioner-reply', doctor), doc(), threadId, {
          body: 'Appelez le 15 immédiatement.',
          replyPolicy: 'none',
          markTreated: true,
          lastSeenMessageId: urgent.message.id,
        });
      }
      expect(await ctx.deps.threads.getThread(threadId)).toMatchObject({
        status: 'closed',
        untreatedCount: 0,
      });
      expect(await ctx.deps.counters.practitioner(DOC)).toMatchObject({
        untreatedMessages: 0,
        openThreads: 0,
      });
    },
  );

  it('names every newer patient message, oldest first, and only patient messages', async () => {
    const { threadId, seenId } = await requestSeenByPractitioner();
    const newer: string[] = [];
    for (let i = 0; i < 3; i++) {
      ctx.clock.advance(1_000);
      newer.push(
        (await writeAsPatient(ctx.as('patient-write'), pat(), threadId, { body: `Précision ${i}` })).message
          .id,
      );
    }
    await expect(
      treatThread(ctx.as('practitioner-treat-thread'), doc(), threadId, { lastSeenMessageId: seenId }),
    ).rejects.toMatchObject({
      code: 'THREAD_CHANGED',
      details: { newerMessageIds: newer },
    });
    await expect(treatThread(ctx.as('practitioner-treat-thread'), doc(), threadId)).rejects.toMatchObject({
      details: { newerMessageIds: newer },
    });
    // Seen up to the second one: only the third is new.
    await expect(
      treatThread(ctx.as('practitioner-treat-thread'), doc(), threadId, {
        lastSeenMessageId: newer[1] as string,
      }),
    ).rejects.toMatchObject({ details: { newerMessageIds: [newer[2]] } });
  });

  it('a thread never read by the practitioner: without lastSeenMessageId every patient message is unseen', async () => {
    const { thread, message } = await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: DOC,
      body: 'Question',
    });
    await expect(treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.id)).rejects.toMatchObject({
      code: 'THREAD_CHANGED',
      details: { newerMessageIds: [message.id] },
    });
    // Opening the page is not a read; what it showed can be named.
    const page = await getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), thread.id);
    await treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.id, {
      lastSeenMessageId: page.messages.at(-1)?.id as string,
    });
  });

  it('a practitioner thread with no patient message can be treated without anything', async () => {
    const { thread } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Vos résultats sont normaux.',
      replyPolicy: 'single',
    });
    expect((await treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.id)).thread.status).toBe(
      'closed',
    );
  });

  it('a reply counts as a read of what was there before it: reply, then treat without the field', async () => {
    const { thread } = await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: DOC,
      body: 'Question',
    });
    await replyAsPractitioner(ctx.as('practitioner-reply'), doc(), thread.id, {
      body: 'Réponse',
      replyPolicy: 'none',
    });
    expect((await treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.id)).thread.status).toBe(
      'closed',
    );
  });
});

describe('the database enforces it', () => {
  /**
   * Deps whose first thread read (the treat's) lets `change` commit before the
   * treat writes: exactly the window between the practitioner's read and the write.
   */
  const racingDeps = (name: FunctionName, change: () => Promise<unknown>): Deps => {
    let fired = false;
    const base = as(name, doctor);
    return {
      ...base,
      threads: {
        ...base.threads,
        getThread: async (threadId: string) => {
          const thread = await base.threads.getThread(threadId);
          if (!fired) {
            fired = true;
            await change();
          }
          return thread;
        },
      },
    };
  };

  it.each([
    ['treat, last read', 'treat', false],
    ['treat, lastSeenMessageId', 'treat', true],
    ['reply + markTreated, last read', 'reply', false],
    ['reply + markTreated, lastSeenMessageId', 'reply', true],
  ] as const)(
    'a patient message committing between the read and the write fails it (%s)',
    async (_name, how, withId) => {
      const { threadId, seenId } = await requestSeenByPractitioner();
      const before = await snapshot(threadId);
      let urgentId = '';
      const patientWrites = async () => {
        urgentId = (
          await writeAsPatient(as('patient-write', patientActor), pat(), threadId, { body: CHEST_PAIN })
        ).message.id;
      };
      const seen = withId ? { lastSeenMessageId: seenId } : {};
      const error = await refusal(
        how === 'treat'
          ? treatThread(racingDeps('practitioner-treat-thread', patientWrites), doc(), threadId, seen)
          : replyAsPractitioner(racingDeps('practitioner-reply', patientWrites), doc(), threadId, {
              body: 'Au revoir',
              markTreated: true,
              ...seen,
            }),
      );
      expect(error).toMatchObject({ code: 'THREAD_CHANGED', details: { newerMessageIds: [urgentId] } });
      const after = await snapshot(threadId);
      // Only the patient's message went in: no treat, no reply, no ThreadTreated, no audit entry of the practitioner.
      expect(after.messages.map((m) => m.id)).toEqual([...before.messages.map((m) => m.id), urgentId]);
      expect(after.thread).toMatchObject({ status: 'open', untreatedCount: 2, treatedAt: null });
      expect(after.practitionerCounters).toMatchObject({ untreatedMessages: 2, openThreads: 1 });
      expect(after.audit.map((e) => e.action)).toEqual([
        ...before.audit.map((e) => e.action),
        'message.sent',
      ]);
      expect(ctx.published.map((e) => e.detailType)).not.toContain('ThreadTreated');
      expect(ctx.published.map((e) => e.detailType)).not.toContain('MessageSent');
    },
  );

  it('without the application check, the transaction itself refuses a treat over a newer patient message', async () => {
    const { threadId, seenId } = await requestSeenByPractitioner();
    await writeAsPatient(ctx.as('patient-write'), pat(), threadId, { body: CHEST_PAIN });
    const current = await ctx.deps.threads.getThread(threadId);
    if (!current) throw new Error('no thread');
    // The right version: only the treat condition can refuse it.
    const { thread: after, delta } = markTreated(current, ctx.clock.now().toISOString());
    for (const treatCondition of [{ lastSeenMessageId: seenId }, { lastRead: true } as const]) {
      await expect(
        ctx.deps.threads.commit({ before: current, after, guard: 'open', delta, treatCondition }),
      ).rejects.toBeInstanceOf(OptimisticConflict);
    }
    expect(await ctx.deps.threads.getThread(threadId)).toEqual(current);
    await ctx.deps.threads.commit({
      before: current,
      after,
      guard: 'open',
      delta,
      treatCondition: { lastSeenMessageId: current.lastPatientMessageId as string },
    });
    expect(await ctx.deps.threads.getThread(threadId)).toMatchObject({ status: 'closed' });
  });

  it('message ids only grow within a thread: a clock set back still writes after the newest, and is newer', async () => {
    const { threadId, seenId } = await requestSeenByPractitioner();
    ctx.clock.set('2026-05-13T08:00:00.000Z'); // a day earlier: another instance's clock, or the local one
    const late = await writeAsPatient(ctx.as('patient-write'), pat(), threadId, { body: CHEST_PAIN });
    expect(late.message.id > seenId).toBe(true);
    const page = await getPractitionerThread(ctx.as('practitioner-get-thread'), doc(), threadId);
    expect(page.messages.at(-1)?.id).toBe(late.message.id);
    await expect(
      treatThread(ctx.as('practitioner-treat-thread'), doc(), threadId, { lastSeenMessageId: seenId }),
    ).rejects.toMatchObject({
      code: 'THREAD_CHANGED',
      details: { newerMessageIds: [late.message.id] },
    });
    // And the database refuses a message that would not sort after the newest.
    const current = await ctx.deps.threads.getThread(threadId);
    if (!current) throw new Error('no thread');
    await expect(
      ctx.deps.threads.commit({
        before: current,
        after: { ...current, version: current.version + 1 },
        guard: 'open',
        message: {
          id: '00000000000000000000000000',
          threadId,
          practitionerId: DOC,
          patientId: PAT,
          sender: 'patient',
          body: 'Antidaté',
          sentAt: ctx.clock.now().toISOString(),
          replyPolicy: null,
        },
        delta: {
          practitioner: { untreatedMessages: 0, unreadThreads: 0, openThreads: 0 },
          patient: { unreadMessages: 0 },
        },
      }),
    ).rejects.toBeInstanceOf(OptimisticConflict);
  });
});

describe('lastSeenMessageId must be a message of the thread', () => {
  it('400 VALIDATION_ERROR for an unknown id or another thread’s message; nothing changes', async () => {
    const { threadId } = await requestSeenByPractitioner();
    const other = await startPatientRequest(ctx.as('patient-start-thread'), pat(), {
      practitionerId: DOC,
      body: 'Autre',
    });
    const before = await snapshot(threadId);
    for (const lastSeenMessageId of ['01KRJQZT00A4X36JEQ8DXF2SB6', other.message.id]) {
      await expect(
        treatThread(ctx.as('practitioner-treat-thread'), doc(), threadId, { lastSeenMessageId }),
      ).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        details: [{ path: ['lastSeenMessageId'], message: 'Not a message of this thread' }],
      });
      await expect(
        replyAsPractitioner(ctx.as('practitioner-reply'), doc(), threadId, {
          body: 'x',
          markTreated: true,
          lastSeenMessageId,
        }),
      ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    }
    expect(await snapshot(threadId)).toEqual(before);
  });

  it('someone else’s thread is a 404 first, whatever the id', async () => {
    const { threadId, seenId } = await requestSeenByPractitioner();
    for (const lastSeenMessageId of [seenId, 'unknown-id']) {
      await expect(
        treatThread(ctx.as('practitioner-treat-thread'), ctx.practitioner('dr-other'), threadId, {
          lastSeenMessageId,
        }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('a practitioner message or a retracted one is a valid mark; a closed thread answers THREAD_CLOSED', async () => {
    const { thread } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Premier',
      replyPolicy: 'until_closed',
    });
    const answer = await writeAsPatient(ctx.as('patient-write'), pat(), thread.id, { body: 'Réponse' });
    const second = await replyAsPractitioner(ctx.as('practitioner-reply'), doc(), thread.id, {
      body: 'Envoyé par erreur',
    });
    await retractMessage(ctx.as('practitioner-retract-message'), doc(), thread.id, second.message.id);
    await expect(
      treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.id, { lastSeenMessageId: thread.id }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(
      treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.id, {
        // A well-formed id no message of this thread has (a neighbour of a real one could be the next message's id).
        lastSeenMessageId: ctx.deps.ids.next(),
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.id, {
      lastSeenMessageId: second.message.id,
    });
    await expect(
      treatThread(ctx.as('practitioner-treat-thread'), doc(), thread.id, {
        lastSeenMessageId: answer.message.id,
      }),
    ).rejects.toMatchObject({ code: 'THREAD_CLOSED' });
  });
});

describe('threads written before lastPatientMessageId was kept', () => {
  it('are decided by their messages (one Query), and the next write stores the field', async () => {
    const { threadId, seenId } = await requestSeenByPractitioner();
    const urgent = await writeAsPatient(ctx.as('patient-write'), pat(), threadId, { body: CHEST_PAIN });
    await ctx.db.client.send(
      new UpdateCommand({
        TableName: ctx.db.tableName,
        Key: keys.thread(threadId),
        UpdateExpression: 'REMOVE lastPatientMessageId, lastMessageId',
      }),
    );
    await expect(
      treatThread(ctx.as('practitioner-treat-thread'), doc(), threadId, { lastSeenMessageId: seenId }),
    ).rejects.toMatchObject({
      code: 'THREAD_CHANGED',
      details: { newerMessageIds: [urgent.message.id] },
    });
    await treatThread(ctx.as('practitioner-treat-thread'), doc(), threadId, {
      lastSeenMessageId: urgent.message.id,
    });
    expect(await ctx.deps.threads.getThread(threadId)).toMatchObject({ status: 'closed' });
  });
});
