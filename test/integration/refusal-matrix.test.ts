/**
 * The refusal matrix (issue 3, item 7): for each practitioner control alone and
 * for each pair, the refused write and the "can I write?" answer (or the thread
 * view's canReply) give the same code and text, and the refused write changed
 * nothing: no message, no counter, no thread, no event. All on DynamoDB Local.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DomainError } from '../../shared/domain/errors.ts';
import { START_REQUEST_PRECEDENCE, WRITE_IN_THREAD_PRECEDENCE } from '../../shared/domain/messaging-rules.ts';
import { getMessagingAccess } from '../../shared/use-cases/messaging-access.ts';
import {
  getPatientThread,
  listPatientThreads,
  startPatientRequest,
  writeAsPatient,
} from '../../shared/use-cases/patient-messaging.ts';
import { updateSettings } from '../../shared/use-cases/practitioner-admin.ts';
import { setPatientFlag } from '../../shared/use-cases/practitioner-controls.ts';
import { startPractitionerThread, treatThread } from '../../shared/use-cases/practitioner-messaging.ts';
import { allThreadMessages, createTestContext, type TestContext } from './harness.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});

type StartRule = (typeof START_REQUEST_PRECEDENCE)[number];
type WriteRule = (typeof WRITE_IN_THREAD_PRECEDENCE)[number];

const pairs = <T>(list: readonly T[]): T[][] => list.flatMap((a, i) => list.slice(i + 1).map((b) => [a, b]));

/** Everything a refused write could have touched, read back from the table. */
const observe = async (practitionerId: string, patientId: string) => {
  const items = await ctx.db.client.send(
    new QueryCommand({
      TableName: ctx.db.tableName,
      IndexName: 'gsi4',
      KeyConditionExpression: 'gsi4pk = :pk',
      ExpressionAttributeValues: { ':pk': `PAT#${patientId}#THREADS` },
    }),
  );
  const threads = items.Items ?? [];
  const messages = await Promise.all(
    threads.map(async (t) => (await allThreadMessages(ctx.deps.threads, t.id as string)).map((m) => m.id)),
  );
  return {
    threads: threads.map((t) => ({ id: t.id, version: t.version, lastMessageAt: t.lastMessageAt })),
    messages,
    practitionerCounters: await ctx.deps.counters.practitioner(practitionerId),
    patientCounters: await ctx.deps.counters.patient(patientId),
    events: ctx.published.length,
  };
};

const refusalOf = async (promise: Promise<unknown>): Promise<DomainError> => {
  try {
    await promise;
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('The write was expected to be refused');
};

let caseNumber = 0;

describe('start a request: the write and GET …/messaging agree, and a refusal changes nothing', () => {
  /**
   * Puts one practitioner/patient pair in the state where the given rules refuse.
   * Not in the base excludes being blocked (404 on a patient outside the base,
   * tested below) and the cooldown (it needs a treated request, hence a record).
   */
  const arrange = async (rules: StartRule[]) => {
    caseNumber += 1;
    const doc = `dr-start-${caseNumber}`;
    const pat = `pat-start-${caseNumber}`;
    const has = (rule: StartRule) => rules.includes(rule);
    if (!has('NOT_IN_PATIENT_BASE')) await ctx.enrol(doc, pat);
    if (has('COOLDOWN')) {
      const { thread, message } = await startPatientRequest(
        ctx.as('patient-start-thread'),
        ctx.patient(pat),
        {
          practitionerId: doc,
          body: 'Première demande',
        },
      );
      await treatThread(ctx.as('practitioner-treat-thread'), ctx.practitioner(doc), thread.id, {
        lastSeenMessageId: message.id,
      });
      await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(doc), {
        sameDayCooldown: true,
      });
    }
    if (has('PATIENT_BLOCKED'))
      await setPatientFlag(ctx.as('practitioner-block-patient'), ctx.practitioner(doc), pat, 'blocked', true);
    if (has('MESSAGING_CLOSED')) {
      await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(doc), {
        inboxOpen: false,
        absenceMessage: 'Cabinet fermé pour congés jusqu’au 1er juin.',
      });
    }
    if (has('NOT_ALLOWED')) {
      await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(doc), {
        whoCanStartRequests: 'allowed_patients',
        allowedAttributes: ['ald'],
      });
    }
    return { doc, pat };
  };

  const impossible = (rules: StartRule[]) =>
    rules.includes('NOT_IN_PATIENT_BASE') &&
    (rules.includes('PATIENT_BLOCKED') || rules.includes('COOLDOWN'));

  const cases = [...START_REQUEST_PRECEDENCE.map((r) => [r]), ...pairs(START_REQUEST_PRECEDENCE)].filter(
    (rules) => !impossible(rules),
  );

  it.each(cases.map((rules) => [rules.join(' + '), rules] as const))('%s', async (_name, rules) => {
    const { doc, pat } = await arrange([...rules]);
    const expected = START_REQUEST_PRECEDENCE.find((code) => rules.includes(code));

    const access = await getMessagingAccess(ctx.as('patient-messaging-access'), ctx.patient(pat), doc);
    expect(access).toMatchObject({ canStartRequest: false, reason: expected });
    expect(access.message).toEqual(expect.any(String));

    const before = await observe(doc, pat);
    const error = await refusalOf(
      startPatientRequest(ctx.as('patient-start-thread'), ctx.patient(pat), {
        practitionerId: doc,
        body: 'Nouvelle demande',
      }),
    );
    expect(error.code).toBe(access.reason);
    expect(error.message).toBe(access.message);
    expect(error.details ?? null).toEqual(access.details);
    expect(await observe(doc, pat)).toEqual(before);
  });

  it('covers every single rule and every pair that can co-occur (13 of 15)', () => {
    expect(cases).toHaveLength(5 + 10 - 2);
  });

  it('a patient outside the base cannot be blocked (404), so that pair cannot co-occur', async () => {
    await expect(
      setPatientFlag(
        ctx.as('practitioner-block-patient'),
        ctx.practitioner('dr-nobase'),
        'pat-nobase',
        'blocked',
        true,
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('no rule: the answer says yes and the write goes through', async () => {
    const { doc, pat } = await arrange([]);
    expect(await getMessagingAccess(ctx.as('patient-messaging-access'), ctx.patient(pat), doc)).toMatchObject(
      {
        canStartRequest: true,
        reason: null,
        message: null,
      },
    );
    const started = await startPatientRequest(ctx.as('patient-start-thread'), ctx.patient(pat), {
      practitionerId: doc,
      body: 'Oui ?',
    });
    expect(started.thread.canReply).toBe(true);
  });
});

describe('write in a thread: the write and the thread views (canReply) agree, and a refusal changes nothing', () => {
  const arrange = async (rules: WriteRule[]) => {
    caseNumber += 1;
    const doc = `dr-write-${caseNumber}`;
    const pat = `pat-write-${caseNumber}`;
    const has = (rule: WriteRule) => rules.includes(rule);
    await ctx.enrol(doc, pat);
    // The practitioner wrote first, so replies are governed by their policy only.
    const { thread } = await startPractitionerThread(
      ctx.as('practitioner-start-thread'),
      ctx.practitioner(doc),
      {
        patientId: pat,
        body: 'Vos résultats sont arrivés.',
        replyPolicy: has('REPLY_NOT_ALLOWED') ? 'none' : 'until_closed',
      },
    );
    if (has('THREAD_CLOSED'))
      await treatThread(ctx.as('practitioner-treat-thread'), ctx.practitioner(doc), thread.id);
    if (has('PATIENT_BLOCKED'))
      await setPatientFlag(ctx.as('practitioner-block-patient'), ctx.practitioner(doc), pat, 'blocked', true);
    if (has('MESSAGING_CLOSED')) {
      await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(doc), {
        inboxOpen: false,
        reopensAt: '2026-06-01T06:00:00.000Z',
      });
    }
    // Rules that only govern new requests must not change anything here.
    await updateSettings(ctx.as('practitioner-update-settings'), ctx.practitioner(doc), {
      whoCanStartRequests: 'nobody',
      sameDayCooldown: true,
    });
    return { doc, pat, threadId: thread.id };
  };

  const cases = [...WRITE_IN_THREAD_PRECEDENCE.map((r) => [r]), ...pairs(WRITE_IN_THREAD_PRECEDENCE)];

  it.each(cases.map((rules) => [rules.join(' + '), rules] as const))('%s', async (_name, rules) => {
    const { doc, pat, threadId } = await arrange([...rules]);
    const expected = WRITE_IN_THREAD_PRECEDENCE.find((code) => rules.includes(code));

    const { thread } = await getPatientThread(ctx.as('patient-get-thread'), ctx.patient(pat), threadId);
    expect(thread).toMatchObject({ canReply: false, replyBlockedReason: expected });
    const listed = (
      await listPatientThreads(ctx.as('patient-list-threads'), ctx.patient(pat), { limit: 20 })
    ).items.find((t) => t.id === threadId);
    expect(listed).toMatchObject({
      canReply: false,
      replyBlockedReason: expected,
      replyBlockedMessage: thread.replyBlockedMessage,
    });

    const before = await observe(doc, pat);
    const error = await refusalOf(
      writeAsPatient(ctx.as('patient-write'), ctx.patient(pat), threadId, { body: 'Merci' }),
    );
    expect(error.code).toBe(thread.replyBlockedReason);
    expect(error.message).toBe(thread.replyBlockedMessage);
    expect(await observe(doc, pat)).toEqual(before);
  });

  it('covers every single rule and every pair (10)', () => {
    expect(cases).toHaveLength(4 + 6);
  });

  it('no rule (even with whoCanStartRequests=nobody and the cooldown on): canReply and the write goes through', async () => {
    const { pat, threadId } = await arrange([]);
    const { thread } = await getPatientThread(ctx.as('patient-get-thread'), ctx.patient(pat), threadId);
    expect(thread).toMatchObject({ canReply: true, replyBlockedReason: null, replyBlockedMessage: null });
    const written = await writeAsPatient(ctx.as('patient-write'), ctx.patient(pat), threadId, {
      body: 'Merci docteur',
    });
    expect(written.message.body).toBe('Merci docteur');
  });
});
