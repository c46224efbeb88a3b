/**
 * Group communications on DynamoDB Local: the fan-out is driven by hand the way
 * EventBridge would drive the `communication-fanout` consumer — every
 * CommunicationRequested / CommunicationChunkRequested the use cases publish is
 * run, a run that throws is run again (a retry), and faults are injected into
 * the dependencies to kill the worker mid-chunk.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { FANOUT_POLICY } from '../../shared/domain/communications.ts';
import type { PatientAttribute } from '../../shared/domain/types.ts';
import {
  type ChunkRequest,
  communicationThreadId,
  createCommunication,
  getCommunication,
  listCommunications,
  runCommunicationChunk,
} from '../../shared/use-cases/communications.ts';
import { type Deps, needs } from '../../shared/use-cases/deps.ts';
import { sweepDueWork } from '../../shared/use-cases/due-work.ts';
import {
  getPatientThread,
  listPatientThreads,
  writeAsPatient,
} from '../../shared/use-cases/patient-messaging.ts';
import { updateSettings } from '../../shared/use-cases/practitioner-admin.ts';
import { setPatientFlag } from '../../shared/use-cases/practitioner-controls.ts';
import { createTemplate } from '../../shared/use-cases/templates.ts';
import { createTestContext, NO_ATTRIBUTES, type TestContext } from './harness.ts';
import { seedPatientBase } from './practice.ts';

const DOC = 'dr-group';
const START = '2026-05-14T08:00:00.000Z';

let ctx: TestContext;
const doc = () => ctx.practitioner(DOC);

const patientId = (n: number) => `pat-${String(n).padStart(4, '0')}`;

/** Puts `count` patients in the base in BatchWriteItem calls (records as the repository writes them). */
const seedBase = (
  count: number,
  attributesOf?: (n: number) => Partial<Record<PatientAttribute, boolean>>,
  practitionerId = DOC,
) =>
  seedPatientBase(
    ctx,
    practitionerId,
    Array.from({ length: count }, (_, n) => patientId(n)),
    attributesOf,
  );

const chunkRequestsSince = (from: number): ChunkRequest[] =>
  ctx.published.slice(from).flatMap((e) => {
    if (e.detailType === 'CommunicationRequested') {
      return [
        {
          practitionerId: e.data.practitionerId as string,
          communicationId: e.data.communicationId as string,
          seq: 0,
        },
      ];
    }
    if (e.detailType === 'CommunicationChunkRequested') {
      return [
        {
          practitionerId: e.data.practitionerId as string,
          communicationId: e.data.communicationId as string,
          seq: e.data.seq as number,
        },
      ];
    }
    return [];
  });

/**
 * Delivers every chunk request published from `from` on, like EventBridge → Lambda:
 * a run that throws is delivered again (at most `maxRetries` times in a row).
 */
const drive = async (
  from: number,
  options: { deps?: () => Deps; maxRetries?: number; deliveredTwice?: number[] } = {},
) => {
  const deps = options.deps ?? (() => ctx.as('communication-fanout'));
  const queue = chunkRequestsSince(from);
  let seen = ctx.published.length;
  let runs = 0;
  let failures = 0;
  const deliver = async (request: ChunkRequest) => {
    for (let attempt = 1; ; attempt++) {
      runs++;
      try {
        await runCommunicationChunk(deps(), request);
        return;
      } catch (error) {
        failures++;
        if (attempt > (options.maxRetries ?? 5)) throw error;
      }
    }
  };
  while (queue.length > 0) {
    const request = queue.shift() as ChunkRequest;
    // At-least-once: some chunks are delivered twice, at the same time.
    const copies = options.deliveredTwice?.includes(request.seq) ? 2 : 1;
    await Promise.all(Array.from({ length: copies }, () => deliver(request)));
    queue.push(...chunkRequestsSince(seen));
    seen = ctx.published.length;
  }
  return { runs, failures };
};

const threadsOf = async (patient: string) =>
  (await listPatientThreads(ctx.as('patient-list-threads'), ctx.patient(patient), { limit: 100 })).items;

const messageSentIds = () =>
  new Set(ctx.published.filter((e) => e.detailType === 'MessageSent').map((e) => e.data.messageId));

beforeEach(async () => {
  ctx = await createTestContext(START);
  await updateSettings(ctx.as('practitioner-update-settings'), doc(), {
    displayName: 'Dr Groupe',
    timezone: 'Europe/Paris',
  });
});

describe('a communication to 1,000 patients', () => {
  it('killed and restarted mid-way: every patient has exactly one message and the counts are right', async () => {
    await seedBase(1000);
    const from = ctx.published.length;
    const created = await createCommunication(ctx.as('practitioner-create-communication'), doc(), {
      body: 'Bonjour {{patient.firstName}}, je vous informe que je réponds désormais par la messagerie.',
      audience: { all: true },
    });
    expect(created).toMatchObject({ status: 'queued', total: null, sent: 0, failed: 0, replyPolicy: 'none' });

    // Faults: the worker dies at the 2nd transaction of the 3rd chunk (its other transactions in flight
    // commit), twice after a chunk's threads
    // committed but before its advance (counts, events, hand-on), and the bus loses nothing but delivers
    // a chunk twice at once.
    let commits = 0;
    const transactionsPerChunk = Math.ceil(FANOUT_POLICY.chunkSize / FANOUT_POLICY.recipientsPerTransaction);
    // The chunk of the last patients (the 2nd and the last are killed before their advance).
    const lastSeq = Math.ceil(1000 / FANOUT_POLICY.chunkSize) - 1;
    let killMidChunkAt = transactionsPerChunk * 2 + 2;
    let killBeforeAdvance = 2;
    const killedBeforeAdvance = new Set<number>();
    const worker = ctx.as('communication-fanout');
    const faulty: Deps = {
      ...worker,
      threads: {
        ...worker.threads,
        createCommunicationThreads: async (...args) => {
          commits++;
          if (commits === killMidChunkAt) {
            killMidChunkAt = -1;
            throw new Error('Lambda killed mid-chunk');
          }
          return worker.threads.createCommunicationThreads(...args);
        },
      },
      communications: {
        ...needs(worker, 'communications'),
        advance: async (...args) => {
          const [, , seq] = args;
          if (killBeforeAdvance > 0 && (seq === 1 || seq === lastSeq) && !killedBeforeAdvance.has(seq)) {
            killedBeforeAdvance.add(seq);
            killBeforeAdvance--;
            throw new Error('Lambda killed before handing on');
          }
          return needs(worker, 'communications').advance(...args);
        },
      },
    };
    const { failures } = await drive(from, { deps: () => faulty, deliveredTwice: [0, 1, lastSeq] });
    expect(failures).toBe(3);

    const done = await getCommunication(ctx.as('practitioner-get-communication'), doc(), created.id);
    expect(done).toMatchObject({ status: 'done', total: 1000, sent: 1000, failed: 0 });
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();

    for (let n = 0; n < 1000; n++) {
      const threads = await threadsOf(patientId(n));
      expect(threads, patientId(n)).toHaveLength(1);
    }
    // No reply allowed: 1,000 closed threads, outside the practitioner's inbox and counters.
    expect(await ctx.deps.counters.practitioner(DOC)).toMatchObject({ openThreads: 0, unreadThreads: 0 });
    expect(await ctx.deps.threads.listPractitionerThreads(DOC, 'all', { limit: 10 })).toMatchObject({
      items: [],
    });
    expect(await ctx.deps.counters.patient(patientId(123))).toEqual({ unreadMessages: 1 });
    expect((await threadsOf(patientId(123)))[0]).toMatchObject({ status: 'closed', canReply: false });
    // Every message has exactly one MessageSent (the patient email): a chunk's events commit with its advance.
    expect(messageSentIds().size).toBe(1000);
    expect(ctx.published.filter((e) => e.detailType === 'MessageSent')).toHaveLength(1000);
    const finished = ctx.published.filter((e) => e.detailType === 'CommunicationFinished');
    expect(finished).toHaveLength(1);
    expect(finished[0]?.data).toMatchObject({ status: 'done', total: 1000, sent: 1000, failed: 0 });

    // Delivering any chunk again now changes nothing.
    await runCommunicationChunk(ctx.as('communication-fanout'), {
      practitionerId: DOC,
      communicationId: created.id,
      seq: 5,
    });
    expect(await getCommunication(ctx.as('practitioner-get-communication'), doc(), created.id)).toMatchObject(
      { sent: 1000, total: 1000 },
    );
  }, 180_000);
});

describe('audience and personalisation', () => {
  it('a segment: only patients having ANY of the attributes, each message personalised', async () => {
    await seedBase(30, (n) => ({
      ald: n % 3 === 0,
      pregnancyFollowUp: n % 5 === 0,
      chronic: n % 2 === 0,
    }));
    const from = ctx.published.length;
    const created = await createCommunication(ctx.as('practitioner-create-communication'), doc(), {
      body: 'Bonjour {{patient.firstName}} {{patient.lastName}}, rappel de prévention. {{practitioner.name}}',
      replyPolicy: 'single',
      audience: { attributes: ['ald', 'pregnancyFollowUp'] },
    });
    await drive(from);
    const inSegment = Array.from({ length: 30 }, (_, n) => n).filter((n) => n % 3 === 0 || n % 5 === 0);
    expect(await getCommunication(ctx.as('practitioner-get-communication'), doc(), created.id)).toMatchObject(
      {
        status: 'done',
        total: inSegment.length,
        sent: inSegment.length,
        failed: 0,
      },
    );
    for (let n = 0; n < 30; n++) {
      const threads = await threadsOf(patientId(n));
      if (!inSegment.includes(n)) {
        expect(threads, patientId(n)).toHaveLength(0);
        continue;
      }
      expect(threads).toHaveLength(1);
      expect(threads[0]).toMatchObject({ origin: 'practitioner', replyPolicy: 'single', canReply: true });
      const { messages } = await getPatientThread(
        ctx.as('patient-get-thread'),
        ctx.patient(patientId(n)),
        threads[0]?.id ?? '',
      );
      expect(messages.map((m) => m.body)).toEqual([
        `Bonjour Prénom${n} Nom${n}, rappel de prévention. Dr Groupe`,
      ]);
    }
  });

  it('from a template: its text as it was when sent, whatever happens to the template later', async () => {
    await seedBase(3);
    const template = await createTemplate(ctx.as('practitioner-create-template'), doc(), {
      name: 'Vaccination',
      body: 'Bonjour {{patient.firstName}}, la campagne de vaccination commence.',
    });
    const from = ctx.published.length;
    const created = await createCommunication(ctx.as('practitioner-create-communication'), doc(), {
      templateId: template.id,
      audience: { all: true },
    });
    expect(created.templateId).toBe(template.id);
    await ctx.deps.templates.delete(DOC, template.id);
    await drive(from);
    const threads = await threadsOf(patientId(2));
    const { messages } = await getPatientThread(
      ctx.as('patient-get-thread'),
      ctx.patient(patientId(2)),
      threads[0]?.id ?? '',
    );
    expect(messages[0]?.body).toBe('Bonjour Prénom2, la campagne de vaccination commence.');
  });

  it('blocked patients receive it too (a practitioner may always write); an empty audience is done at 0', async () => {
    await seedBase(2);
    await setPatientFlag(ctx.as('practitioner-block-patient'), doc(), patientId(1), 'blocked', true);
    let from = ctx.published.length;
    const all = await createCommunication(ctx.as('practitioner-create-communication'), doc(), {
      body: 'Information',
      audience: { all: true },
    });
    await drive(from);
    expect(await threadsOf(patientId(1))).toHaveLength(1);
    expect(await getCommunication(ctx.as('practitioner-get-communication'), doc(), all.id)).toMatchObject({
      status: 'done',
      sent: 2,
    });

    from = ctx.published.length;
    const nobody = await createCommunication(ctx.as('practitioner-create-communication'), doc(), {
      body: 'Suivi de grossesse',
      audience: { attributes: ['pregnancyFollowUp'] },
    });
    await drive(from);
    expect(await getCommunication(ctx.as('practitioner-get-communication'), doc(), nobody.id)).toMatchObject({
      status: 'done',
      total: 0,
      sent: 0,
      failed: 0,
    });
  });

  it('a patient the text cannot be rendered for is counted failed, with its reason, the others get it', async () => {
    await seedBase(4);
    // One long name pushes this patient's rendered text past 5,000 characters.
    await ctx.deps.patients.upsert(
      DOC,
      patientId(2),
      { firstName: 'Long', lastName: 'L'.repeat(100), email: null, attributes: NO_ATTRIBUTES },
      ctx.clock.now().toISOString(),
    );
    const from = ctx.published.length;
    const created = await createCommunication(ctx.as('practitioner-create-communication'), doc(), {
      body: `${'x'.repeat(4_920)} {{patient.lastName}}`,
      audience: { all: true },
    });
    await drive(from);
    expect(await getCommunication(ctx.as('practitioner-get-communication'), doc(), created.id)).toMatchObject(
      {
        status: 'done',
        total: 4,
        sent: 3,
        failed: 1,
      },
    );
    expect(await threadsOf(patientId(2))).toHaveLength(0);
    expect(await needs(ctx.deps, 'communications').getRecipient(created.id, patientId(2))).toMatchObject({
      outcome: 'failed',
      reason: 'VALIDATION_ERROR',
    });
  });

  it('nobody could be sent it: failed (ALL_RECIPIENTS_FAILED)', async () => {
    await seedBase(3);
    const from = ctx.published.length;
    const created = await createCommunication(ctx.as('practitioner-create-communication'), doc(), {
      body: 'Bien à vous, {{practitioner.name}}',
      audience: { all: true },
    });
    // The display name is removed after the communication was accepted.
    await updateSettings(ctx.as('practitioner-update-settings'), doc(), { displayName: null });
    await drive(from);
    expect(await getCommunication(ctx.as('practitioner-get-communication'), doc(), created.id)).toMatchObject(
      {
        status: 'failed',
        failureReason: 'ALL_RECIPIENTS_FAILED',
        total: 3,
        sent: 0,
        failed: 3,
      },
    );
    expect(await needs(ctx.deps, 'communications').getRecipient(created.id, patientId(0))).toMatchObject({
      reason: 'TEMPLATE_VARIABLE_MISSING',
    });
  });

  it('refuses, storing nothing, a text that cannot reach anyone (422) or someone else’s template (404)', async () => {
    await seedBase(1);
    const before = ctx.published.length;
    await expect(
      createCommunication(ctx.as('practitioner-create-communication'), doc(), {
        body: 'Votre rendez-vous du {{appointment.date}}',
        audience: { all: true },
      }),
    ).rejects.toMatchObject({ code: 'TEMPLATE_VARIABLE_MISSING', details: { variable: 'appointment.date' } });
    await expect(
      createCommunication(ctx.as('practitioner-create-communication'), doc(), {
        body: 'Bonjour {{patient.prenom}}',
        audience: { all: true },
      }),
    ).rejects.toMatchObject({ code: 'TEMPLATE_VARIABLE_UNKNOWN' });
    const other = await createTemplate(ctx.as('practitioner-create-template'), ctx.practitioner('dr-other'), {
      name: 'x',
      body: 'x',
    });
    await expect(
      createCommunication(ctx.as('practitioner-create-communication'), doc(), {
        templateId: other.id,
        audience: { all: true },
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(ctx.published.slice(before)).toEqual([]);
    expect(
      (await listCommunications(ctx.as('practitioner-list-communications'), doc(), { limit: 20 })).items,
    ).toEqual([]);
  });
});

describe('reading communications', () => {
  it('lists newest first with a cursor; another practitioner’s is not found', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) {
      ctx.clock.advance(1000);
      ids.push(
        (
          await createCommunication(ctx.as('practitioner-create-communication'), doc(), {
            body: `n°${n}`,
            audience: { all: true },
          })
        ).id,
      );
    }
    const first = await listCommunications(ctx.as('practitioner-list-communications'), doc(), { limit: 2 });
    expect(first.items.map((c) => c.id)).toEqual([ids[2], ids[1]]);
    expect(first.nextCursor).not.toBeNull();
    const second = await listCommunications(ctx.as('practitioner-list-communications'), doc(), {
      limit: 2,
      cursor: first.nextCursor ?? '',
    });
    expect(second).toMatchObject({ items: [{ id: ids[0] }], nextCursor: null });
    await expect(
      getCommunication(ctx.as('practitioner-get-communication'), ctx.practitioner('dr-other'), ids[0] ?? ''),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(
      (
        await listCommunications(ctx.as('practitioner-list-communications'), ctx.practitioner('dr-other'), {
          limit: 20,
        })
      ).items,
    ).toEqual([]);
  });
});

describe('the watchdog', () => {
  it('starts a communication whose CommunicationRequested was lost, and it completes once', async () => {
    await seedBase(5);
    const created = await createCommunication(ctx.as('practitioner-create-communication'), doc(), {
      body: 'Info',
      audience: { all: true },
    });
    // The event never reaches the worker. Five minutes later the watchdog notices.
    ctx.clock.advance(FANOUT_POLICY.watchdogIntervalMs);
    const from = ctx.published.length;
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 1, done: 1 });
    expect(chunkRequestsSince(from)).toEqual([{ practitionerId: DOC, communicationId: created.id, seq: 0 }]);
    await drive(from);
    expect(await getCommunication(ctx.as('practitioner-get-communication'), doc(), created.id)).toMatchObject(
      { status: 'done', sent: 5 },
    );
    for (let n = 0; n < 5; n++) expect(await threadsOf(patientId(n))).toHaveLength(1);
    // Its next check finds it finished and stops.
    ctx.clock.advance(FANOUT_POLICY.watchdogIntervalMs);
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 1, done: 1 });
    ctx.clock.advance(FANOUT_POLICY.watchdogIntervalMs);
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 0 });
  });

  it('gives a fan-out that never moves up (failed, STALLED) instead of leaving it sending forever', async () => {
    await seedBase(2);
    const created = await createCommunication(ctx.as('practitioner-create-communication'), doc(), {
      body: 'Info',
      audience: { all: true },
    });
    for (let check = 1; check <= FANOUT_POLICY.maxStalls + 1; check++) {
      ctx.clock.advance(FANOUT_POLICY.watchdogIntervalMs);
      await sweepDueWork(ctx.as('due-work-sweep'));
    }
    expect(await getCommunication(ctx.as('practitioner-get-communication'), doc(), created.id)).toMatchObject(
      {
        status: 'failed',
        failureReason: 'STALLED',
        sent: 0,
      },
    );
    expect(ctx.published.filter((e) => e.detailType === 'CommunicationFinished').at(-1)?.data).toMatchObject({
      status: 'failed',
      failureReason: 'STALLED',
    });
    // A late delivery of its chunk does nothing any more.
    const from = ctx.published.length;
    await runCommunicationChunk(ctx.as('communication-fanout'), {
      practitionerId: DOC,
      communicationId: created.id,
      seq: 0,
    });
    expect(ctx.published.slice(from)).toEqual([]);
    expect(await threadsOf(patientId(0))).toHaveLength(0);
  });
});

describe('exactly-once: the thread is its own marker', () => {
  it('each recipient’s thread id is derived from the communication and the patient; only failures leave a marker', async () => {
    await seedBase(3);
    const from = ctx.published.length;
    const created = await createCommunication(ctx.as('practitioner-create-communication'), doc(), {
      body: 'Info',
      audience: { all: true },
    });
    await drive(from);
    for (let n = 0; n < 3; n++) {
      const [thread] = await threadsOf(patientId(n));
      expect(thread?.id).toBe(communicationThreadId(created.id, patientId(n)));
    }
    expect(communicationThreadId(created.id, patientId(0))).not.toBe(
      communicationThreadId(created.id, patientId(1)),
    );
    const { Items } = await ctx.db.client.send(
      new QueryCommand({
        TableName: ctx.db.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `COMM#${created.id}` },
      }),
    );
    expect(Items).toEqual([]);
  });

  it('a chunk run again after its threads committed sends nobody twice and counts each once', async () => {
    await seedBase(5);
    const created = await createCommunication(ctx.as('practitioner-create-communication'), doc(), {
      body: 'Info',
      replyPolicy: 'single',
      audience: { all: true },
    });
    const request = { practitionerId: DOC, communicationId: created.id, seq: 0 };
    const worker = ctx.as('communication-fanout');
    const dying: Deps = {
      ...worker,
      communications: {
        ...needs(worker, 'communications'),
        advance: async () => {
          throw new Error('Lambda killed before its advance');
        },
      },
    };
    await expect(runCommunicationChunk(dying, request)).rejects.toThrow('killed');
    const from = ctx.published.length;
    expect(await runCommunicationChunk(worker, request)).toMatchObject({
      outcome: 'sent',
      sent: 5,
      finished: true,
    });
    expect(ctx.published.slice(from).filter((e) => e.detailType === 'MessageSent')).toHaveLength(5);
    for (let n = 0; n < 5; n++) {
      const threads = await threadsOf(patientId(n));
      expect(threads).toHaveLength(1);
      const { messages } = await getPatientThread(
        ctx.as('patient-get-thread'),
        ctx.patient(patientId(n)),
        threads[0]?.id ?? '',
      );
      expect(messages).toHaveLength(1);
      expect(await ctx.deps.counters.patient(patientId(n))).toEqual({ unreadMessages: 1 });
    }
    expect(await getCommunication(ctx.as('practitioner-get-communication'), doc(), created.id)).toMatchObject(
      {
        status: 'done',
        total: 5,
        sent: 5,
      },
    );
  });
});

describe('exactly-once within a group of patients', () => {
  it('a group’s transaction that meets one patient already written sends the others exactly once, and that patient nothing more', async () => {
    // Two groups: a full one (patients 0..n-1) and 7 more. An earlier run wrote patient 3 alone (a
    // grouping changed by a deploy, a group cut short), wrote the second group, then died before its advance.
    const perGroup = FANOUT_POLICY.recipientsPerTransaction;
    const count = perGroup + 7;
    const early = patientId(3);
    await seedBase(count);
    const created = await createCommunication(ctx.as('practitioner-create-communication'), doc(), {
      body: 'Bonjour {{patient.firstName}}',
      replyPolicy: 'single',
      audience: { all: true },
    });
    const request = { practitionerId: DOC, communicationId: created.id, seq: 0 };
    const worker = ctx.as('communication-fanout');
    let groups = 0;
    const dying: Deps = {
      ...worker,
      threads: {
        ...worker.threads,
        createCommunicationThreads: async (entries) => {
          groups++;
          if (groups > 1) return worker.threads.createCommunicationThreads(entries);
          expect(entries).toHaveLength(perGroup);
          await worker.threads.createCommunicationThreads(
            entries.filter((e) => e.thread.patientId === early),
          );
          throw new Error('Lambda killed mid-group');
        },
      },
    };
    await expect(runCommunicationChunk(dying, request)).rejects.toThrow('killed');
    expect(await threadsOf(early)).toHaveLength(1);
    expect(await threadsOf(patientId(0))).toHaveLength(0);

    const from = ctx.published.length;
    expect(await runCommunicationChunk(worker, request)).toMatchObject({
      outcome: 'sent',
      sent: count,
      failed: 0,
      finished: true,
    });
    const sent = ctx.published.slice(from).filter((e) => e.detailType === 'MessageSent');
    expect(sent).toHaveLength(count);
    expect(new Set(sent.map((e) => e.data.patientId))).toEqual(
      new Set(Array.from({ length: count }, (_, n) => patientId(n))),
    );
    for (let n = 0; n < count; n++) {
      const threads = await threadsOf(patientId(n));
      expect(threads, patientId(n)).toHaveLength(1);
      const { messages } = await getPatientThread(
        ctx.as('patient-get-thread'),
        ctx.patient(patientId(n)),
        threads[0]?.id ?? '',
      );
      expect(messages, patientId(n)).toHaveLength(1);
      // The early patient's counter moved with their thread, once.
      expect(await ctx.deps.counters.patient(patientId(n)), patientId(n)).toEqual({ unreadMessages: 1 });
    }
    // The early patient's events name the message the earlier run wrote.
    const earlyThread = (await threadsOf(early))[0];
    const { messages } = await getPatientThread(
      ctx.as('patient-get-thread'),
      ctx.patient(early),
      earlyThread?.id ?? '',
    );
    expect(sent.find((e) => e.data.patientId === early)?.data.messageId).toBe(messages[0]?.id);
    expect(await getCommunication(ctx.as('practitioner-get-communication'), doc(), created.id)).toMatchObject(
      { status: 'done', total: count, sent: count, failed: 0 },
    );
  });
});

describe('the practitioner’s inbox', () => {
  it('a thread that allows an answer stays out of it until the patient answers, then is open and untreated', async () => {
    await seedBase(3);
    const from = ctx.published.length;
    const created = await createCommunication(ctx.as('practitioner-create-communication'), doc(), {
      body: 'Avez-vous des questions ?',
      replyPolicy: 'single',
      audience: { all: true },
    });
    await drive(from);
    expect(await ctx.deps.counters.practitioner(DOC)).toMatchObject({ openThreads: 0, untreatedMessages: 0 });
    expect((await ctx.deps.threads.listPractitionerThreads(DOC, 'open', { limit: 10 })).items).toEqual([]);

    const threadId = communicationThreadId(created.id, patientId(1));
    await writeAsPatient(ctx.as('patient-write'), ctx.patient(patientId(1)), threadId, {
      body: 'Oui, une question.',
    });
    expect(await ctx.deps.counters.practitioner(DOC)).toMatchObject({
      openThreads: 1,
      untreatedMessages: 1,
      unreadThreads: 1,
    });
    const open = await ctx.deps.threads.listPractitionerThreads(DOC, 'open', { limit: 10 });
    expect(open.items.map((t) => t.id)).toEqual([threadId]);
    const untreated = await ctx.deps.threads.listPractitionerThreads(DOC, 'untreated', { limit: 10 });
    expect(untreated.items.map((t) => t.id)).toEqual([threadId]);
  });
});
