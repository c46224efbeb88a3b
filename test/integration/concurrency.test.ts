import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../shared/db/keys.ts';
import { startPatientRequest, writeAsPatient } from '../../shared/use-cases/patient-messaging.ts';
import {
  getPractitionerThread,
  practitionerSummary,
  readAsPractitioner,
  replyAsPractitioner,
  startPractitionerThread,
  treatThread,
} from '../../shared/use-cases/practitioner-messaging.ts';
import {
  allThreadMessages,
  createTestContext,
  practitionerThreadTotals,
  type TestContext,
} from './harness.ts';

let ctx: TestContext;
const DOC = 'dr-busy';

beforeEach(async () => {
  ctx = await createTestContext();
});

const threadTotals = (practitionerId: string) => practitionerThreadTotals(ctx.db, practitionerId);

describe('concurrency', () => {
  // 200 transactions contending on one counters item: slow on a loaded 2-core runner, never on a wall-clock assertion.
  it('200 parallel patient messages across 20 threads: the untreated counter is exact', {
    timeout: 120_000,
  }, async () => {
    const threads = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const patientId = `pat-${i}`;
        await ctx.enrol(DOC, patientId);
        const { thread } = await startPatientRequest(ctx.as('patient-start-thread'), ctx.patient(patientId), {
          practitionerId: DOC,
          body: 'Première demande',
        });
        return { threadId: thread.id, patientId };
      }),
    );
    const writes = Array.from({ length: 200 }, (_, i) => {
      const { threadId, patientId } = threads[i % 20] as { threadId: string; patientId: string };
      return writeAsPatient(ctx.as('patient-write'), ctx.patient(patientId), threadId, {
        body: `Message ${i}`,
      });
    });
    const results = await Promise.allSettled(writes);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);

    const summary = await practitionerSummary(ctx.as('practitioner-summary'), ctx.practitioner(DOC));
    expect(summary.untreatedMessages).toBe(220);
    expect(summary).toEqual(await threadTotals(DOC));
    for (const { threadId } of threads) {
      const view = await getPractitionerThread(
        ctx.as('practitioner-get-thread'),
        ctx.practitioner(DOC),
        threadId,
      );
      expect(view.messages).toHaveLength(11);
      expect(view.thread.untreatedCount).toBe(11);
    }
  });

  it('20 concurrent patient replies on a single thread: exactly one is accepted', async () => {
    await ctx.enrol(DOC, 'pat-single');
    const { thread } = await startPractitionerThread(
      ctx.as('practitioner-start-thread'),
      ctx.practitioner(DOC),
      {
        patientId: 'pat-single',
        body: 'Vos résultats sont arrivés',
        replyPolicy: 'single',
      },
    );
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        writeAsPatient(ctx.as('patient-write'), ctx.patient('pat-single'), thread.id, {
          body: `Réponse ${i}`,
        }),
      ),
    );
    const accepted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(19);
    for (const r of refused)
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'REPLY_NOT_ALLOWED' });
    const view = await getPractitionerThread(
      ctx.as('practitioner-get-thread'),
      ctx.practitioner(DOC),
      thread.id,
    );
    expect(view.messages.filter((m) => m.sender === 'patient')).toHaveLength(1);
    expect(await practitionerSummary(ctx.as('practitioner-summary'), ctx.practitioner(DOC))).toMatchObject({
      untreatedMessages: 1,
    });
  });

  // Safe treat (SPEC 11.1): a patient message that commits before the treat fails it; one after finds it closed.
  it.each([
    ['with lastSeenMessageId', 'seen'],
    ['after a read, without it', 'read'],
  ] as const)(
    'a treat racing 30 patient writes (%s): it wins before all of them, or 409 THREAD_CHANGED; counters stay exact',
    async (_name, how) => {
      const doc = ctx.practitioner(DOC);
      await ctx.enrol(DOC, 'pat-race');
      const { thread, message } = await startPatientRequest(
        ctx.as('patient-start-thread'),
        ctx.patient('pat-race'),
        {
          practitionerId: DOC,
          body: 'Demande',
        },
      );
      if (how === 'read') await readAsPractitioner(ctx.as('practitioner-read-thread'), doc, thread.id);
      const writes = Array.from({ length: 30 }, (_, i) =>
        writeAsPatient(ctx.as('patient-write'), ctx.patient('pat-race'), thread.id, { body: `Ajout ${i}` }),
      );
      const treat = treatThread(
        ctx.as('practitioner-treat-thread'),
        doc,
        thread.id,
        how === 'seen' ? { lastSeenMessageId: message.id } : {},
      );
      const results = await Promise.allSettled([...writes, treat]);
      const treated = results.at(-1) as PromiseSettledResult<unknown>;
      const accepted = results
        .slice(0, -1)
        .flatMap((r) =>
          r.status === 'fulfilled' ? [(r.value as { message: { id: string } }).message.id] : [],
        );
      for (const r of results.slice(0, -1)) {
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'THREAD_CLOSED' });
      }
      const after = await ctx.deps.threads.getThread(thread.id);
      const messages = await allThreadMessages(ctx.deps.threads, thread.id);
      expect(messages.map((m) => m.id)).toEqual([message.id, ...[...accepted].sort()]);
      if (treated.status === 'fulfilled') {
        // A patient message committed before it would have failed it: none did, and none could follow.
        expect(accepted).toEqual([]);
        expect(after).toMatchObject({ status: 'closed', untreatedCount: 0 });
      } else {
        expect(treated.reason).toMatchObject({ code: 'THREAD_CHANGED' });
        const newer = (treated.reason as { details: { newerMessageIds: string[] } }).details.newerMessageIds;
        expect(newer.length).toBeGreaterThan(0);
        expect(newer).toEqual([...newer].sort());
        for (const id of newer) expect(accepted).toContain(id);
        // Nothing changed: still open, every write went in and counts.
        expect(accepted).toHaveLength(30);
        expect(after).toMatchObject({ status: 'open', untreatedCount: 31, treatedAt: null });
      }
      const counters = await ctx.db.client.send(
        new GetCommand({ TableName: ctx.db.tableName, Key: keys.practitionerCounters(DOC) }),
      );
      expect(counters.Item).toMatchObject({
        untreatedMessages: after?.untreatedCount,
        openThreads: after?.status === 'open' ? 1 : 0,
      });
      expect(await practitionerSummary(ctx.as('practitioner-summary'), doc)).toEqual(await threadTotals(DOC));
    },
  );

  it('concurrent practitioner replies and patient writes never let a counter drift', async () => {
    await ctx.enrol(DOC, 'pat-mix');
    const { thread } = await startPractitionerThread(
      ctx.as('practitioner-start-thread'),
      ctx.practitioner(DOC),
      {
        patientId: 'pat-mix',
        body: 'Bonjour',
        replyPolicy: 'until_closed',
      },
    );
    await Promise.allSettled([
      ...Array.from({ length: 15 }, (_, i) =>
        writeAsPatient(ctx.as('patient-write'), ctx.patient('pat-mix'), thread.id, { body: `P${i}` }),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        replyAsPractitioner(ctx.as('practitioner-reply'), ctx.practitioner(DOC), thread.id, {
          body: `D${i}`,
          replyPolicy: 'until_closed',
        }),
      ),
    ]);
    expect(await practitionerSummary(ctx.as('practitioner-summary'), ctx.practitioner(DOC))).toEqual(
      await threadTotals(DOC),
    );
  });
});
