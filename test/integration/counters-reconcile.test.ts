/**
 * A counter that drifted below a change no longer turns the change into a 500:
 * the change commits, the counters are marked, and the reconciler recomputes
 * them from the thread indexes — exactly, even with writes racing it.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { counterReconcileKeys, keys } from '../../shared/db/keys.ts';
import { reconcileCounters, reconcileMarkedCounters } from '../../shared/use-cases/counters.ts';
import {
  readAsPatient,
  startPatientRequest,
  writeAsPatient,
} from '../../shared/use-cases/patient-messaging.ts';
import {
  practitionerSummary,
  readAsPractitioner,
  replyAsPractitioner,
  treatThread,
} from '../../shared/use-cases/practitioner-messaging.ts';
import { createTestContext, practitionerThreadTotals, type TestContext } from './harness.ts';

const DOC = 'dr-drift';
let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
});

/** What a bug or an operator's edit could leave: a counter lower than the truth. */
const corrupt = (key: { pk: string; sk: string }, field: string, value: number) =>
  ctx.db.client.send(
    new UpdateCommand({
      TableName: ctx.db.tableName,
      Key: key,
      UpdateExpression: 'SET #f = :v',
      ExpressionAttributeNames: { '#f': field },
      ExpressionAttributeValues: { ':v': value },
    }),
  );

const marker = async (subject: 'practitioner' | 'patient', id: string) =>
  (
    await ctx.db.client.send(
      new GetCommand({ TableName: ctx.db.tableName, Key: counterReconcileKeys.marker(subject, id) }),
    )
  ).Item;

const request = async (patientId: string, messages: number) => {
  await ctx.enrol(DOC, patientId);
  const { thread } = await startPatientRequest(ctx.as('patient-start-thread'), ctx.patient(patientId), {
    practitionerId: DOC,
    body: 'Bonjour',
  });
  for (let i = 1; i < messages; i++) {
    await writeAsPatient(ctx.as('patient-write'), ctx.patient(patientId), thread.id, {
      body: `Message ${i}`,
    });
  }
  return thread.id;
};

describe('a counter drifted below a change', () => {
  it('the change still commits (no 500), the counters are marked, the reconciler makes them exact', async () => {
    const threadId = await request('pat-drift-1', 3);
    await request('pat-drift-2', 2);
    // Drift: the practitioner's untreated count lost two messages.
    await corrupt(keys.practitionerCounters(DOC), 'untreatedMessages', 3);
    await readAsPractitioner(ctx.as('practitioner-read-thread'), ctx.practitioner(DOC), threadId);
    // Treating 3 messages from a counter of 3... fine; one more drift makes the floor fail.
    await corrupt(keys.practitionerCounters(DOC), 'untreatedMessages', 2);
    const treated = await treatThread(ctx.as('practitioner-treat-thread'), ctx.practitioner(DOC), threadId);
    expect(treated.thread.status).toBe('closed');
    expect(await marker('practitioner', DOC)).toMatchObject({ subject: 'practitioner', subjectId: DOC });
    // The counter kept its (wrong) value: the delta it could not take was left to the reconciler.
    expect(
      (await practitionerSummary(ctx.as('practitioner-summary'), ctx.practitioner(DOC))).untreatedMessages,
    ).toBe(2);

    const reconciler = ctx.as('counters-reconcile');
    // First run: notes the version (the counters must stay quiet for a whole run); second: rewrites them.
    expect(await reconcileMarkedCounters(reconciler)).toMatchObject({
      'waiting-for-quiet': 1,
      reconciled: 0,
    });
    expect(await reconcileMarkedCounters(reconciler)).toMatchObject({ reconciled: 1 });
    const truth = await practitionerThreadTotals(ctx.db, DOC);
    expect(truth.untreatedMessages).toBe(2);
    expect(await practitionerSummary(ctx.as('practitioner-summary'), ctx.practitioner(DOC))).toEqual(truth);
    expect(await marker('practitioner', DOC)).toBeUndefined();
  });

  it('a change between two runs postpones the rewrite; it lands once the counters are quiet', async () => {
    const threadId = await request('pat-drift-3', 2);
    await ctx.as('counters-reconcile').counters.mark('practitioner', DOC, ctx.clock.now().toISOString());
    const reconciler = ctx.as('counters-reconcile');
    expect(await reconcileMarkedCounters(reconciler)).toMatchObject({ 'waiting-for-quiet': 1 });
    await writeAsPatient(ctx.as('patient-write'), ctx.patient('pat-drift-3'), threadId, { body: 'Encore' });
    expect(await reconcileMarkedCounters(reconciler)).toMatchObject({ 'waiting-for-quiet': 1 });
    expect(await reconcileMarkedCounters(reconciler)).toMatchObject({ 'already-exact': 1 });
    expect(await marker('practitioner', DOC)).toBeUndefined();
  });

  it('a patient counter too, and on demand', async () => {
    const threadId = await request('pat-drift-4', 1);
    await replyAsPractitioner(ctx.as('practitioner-reply'), ctx.practitioner(DOC), threadId, { body: 'Oui' });
    await corrupt(keys.patientCounters('pat-drift-4'), 'unreadMessages', 0);
    await readAsPatient(ctx.as('patient-read-thread'), ctx.patient('pat-drift-4'), threadId);
    expect(await marker('patient', 'pat-drift-4')).toBeDefined();
    const result = await reconcileCounters(ctx.as('counters-reconcile'), 'patient', 'pat-drift-4');
    expect(result).toMatchObject({ outcome: 'already-exact', after: { unreadMessages: 0 } });
    expect(await marker('patient', 'pat-drift-4')).toBeUndefined();
  });

  it('reconciling while 40 writes race it never leaves the counters wrong', async () => {
    const threads = await Promise.all(Array.from({ length: 4 }, (_, i) => request(`pat-race-${i}`, 1)));
    await corrupt(keys.practitionerCounters(DOC), 'untreatedMessages', 0);
    const reconciler = ctx.as('counters-reconcile');
    const writes = threads.flatMap((threadId, i) =>
      Array.from({ length: 10 }, (_, n) =>
        writeAsPatient(ctx.as('patient-write'), ctx.patient(`pat-race-${i}`), threadId, { body: `m${n}` }),
      ),
    );
    const runs = Array.from({ length: 5 }, () => reconcileCounters(reconciler, 'practitioner', DOC));
    await Promise.all([...writes, ...runs]);
    // Whatever interleaving: once quiet, one more run makes them exact, and they stay exact.
    await reconcileCounters(reconciler, 'practitioner', DOC);
    const truth = await practitionerThreadTotals(ctx.db, DOC);
    expect(truth.untreatedMessages).toBe(44);
    expect(await practitionerSummary(ctx.as('practitioner-summary'), ctx.practitioner(DOC))).toEqual(truth);
  });
});
