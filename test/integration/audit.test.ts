import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { auditKeys } from '../../shared/db/keys.ts';
import type { AuditActor } from '../../shared/domain/audit.ts';
import { threadAuditTrail, withAuditContext } from '../../shared/use-cases/audit.ts';
import { createAutomation } from '../../shared/use-cases/automations.ts';
import {
  readAsPatient,
  startPatientRequest,
  writeAsPatient,
} from '../../shared/use-cases/patient-messaging.ts';
import { archivePractitionerThread, retractMessage } from '../../shared/use-cases/practitioner-controls.ts';
import {
  getPractitionerThread,
  readAsPractitioner,
  replyAsPractitioner,
  startPractitionerThread,
  treatThread,
} from '../../shared/use-cases/practitioner-messaging.ts';
import { createTemplate } from '../../shared/use-cases/templates.ts';
import { agenda } from './agenda-helpers.ts';
import { createTestContext, type FunctionName, type TestContext } from './harness.ts';

const DOC = 'dr-martin';
const OTHER_DOC = 'dr-other';
const PAT = 'pat-camille';
const SECRET = 'Mon traitement contre la dépression';

let ctx: TestContext;
let request = 0;

beforeEach(async () => {
  ctx = await createTestContext();
  await ctx.enrol(DOC, PAT, 'camille@example.org');
  request = 0;
});

const doctor: AuditActor = { role: 'practitioner', id: DOC };
const patient: AuditActor = { role: 'patient', id: PAT };

/** The Deps of function `name` for one request by `actor`, as httpRoute builds them; the request id is returned too. */
const as = (name: FunctionName, actor: AuditActor) => {
  request += 1;
  const requestId = `req-${request}`;
  return { deps: withAuditContext(ctx.as(name), { actor, requestId }), requestId };
};

const trail = async (threadId: string) =>
  (
    await threadAuditTrail(ctx.as('practitioner-thread-audit'), ctx.practitioner(DOC), threadId, {
      limit: 100,
    })
  ).items;

const summary = async (threadId: string) =>
  (await trail(threadId)).map((e) => [e.action, `${e.actor.role}:${e.actor.id}`, e.requestId]);

describe('the audit trail of a thread', () => {
  it('each use case leaves exactly its entries, with actor and request id, in order', async () => {
    const doc = ctx.practitioner(DOC);
    const pat = ctx.patient(PAT);
    const step = async <T>(
      name: FunctionName,
      actor: AuditActor,
      run: (deps: TestContext['deps']) => Promise<T>,
    ) => {
      const { deps, requestId } = as(name, actor);
      ctx.clock.advance(1_000);
      return { result: await run(deps), requestId };
    };

    const started = await step('patient-start-thread', patient, (d) =>
      startPatientRequest(d, pat, { practitionerId: DOC, body: SECRET }),
    );
    const threadId = started.result.thread.id;
    const viewed = await step('practitioner-get-thread', doctor, (d) =>
      getPractitionerThread(d, doc, threadId),
    );
    const read = await step('practitioner-read-thread', doctor, (d) => readAsPractitioner(d, doc, threadId));
    const reply = await step('practitioner-reply', doctor, (d) =>
      replyAsPractitioner(d, doc, threadId, { body: 'Oui', replyPolicy: 'single' }),
    );
    const patRead = await step('patient-read-thread', patient, (d) => readAsPatient(d, pat, threadId));
    const written = await step('patient-write', patient, (d) =>
      writeAsPatient(d, pat, threadId, { body: 'Merci' }),
    );
    const treated = await step('practitioner-reply', doctor, (d) =>
      replyAsPractitioner(d, doc, threadId, {
        body: 'Au revoir',
        replyPolicy: 'none',
        markTreated: true,
        lastSeenMessageId: written.result.message.id,
      }),
    );
    const archived = await step('practitioner-archive-thread', doctor, (d) =>
      archivePractitionerThread(d, doc, threadId),
    );

    expect(await summary(threadId)).toEqual([
      ['thread.started', `patient:${PAT}`, started.requestId],
      ['thread.viewed', `practitioner:${DOC}`, viewed.requestId],
      ['thread.read', `practitioner:${DOC}`, read.requestId],
      ['message.sent', `practitioner:${DOC}`, reply.requestId],
      ['thread.read', `patient:${PAT}`, patRead.requestId],
      ['message.sent', `patient:${PAT}`, written.requestId],
      ['message.sent', `practitioner:${DOC}`, treated.requestId],
      ['thread.treated', `practitioner:${DOC}`, treated.requestId],
      ['thread.archived', `practitioner:${DOC}`, archived.requestId],
    ]);
    const entries = await trail(threadId);
    expect(entries[0]).toMatchObject({
      objects: {
        threadId,
        practitionerId: DOC,
        patientId: PAT,
        messageId: started.result.message.id,
      },
      details: { origin: 'patient' },
    });
    expect(entries[3]?.objects.messageId).toBe(reply.result.message.id);
    expect(entries[3]?.details).toEqual({ sender: 'practitioner', replyPolicy: 'single' });
    expect(entries[1]?.details).toEqual({ limit: 50, before: 'newest' });
    // Times are the clock's, ISO-8601, non-decreasing.
    expect(entries.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort());
  });

  it('a practitioner thread, a retraction and a treat', async () => {
    const doc = ctx.practitioner(DOC);
    const first = as('practitioner-start-thread', doctor);
    const sent = await startPractitionerThread(first.deps, doc, {
      patientId: PAT,
      body: SECRET,
      replyPolicy: 'until_closed',
    });
    const retract = as('practitioner-retract-message', doctor);
    await retractMessage(retract.deps, doc, sent.thread.id, sent.message.id);
    // Retracting again answers the tombstone and changes nothing: no entry.
    await retractMessage(
      as('practitioner-retract-message', doctor).deps,
      doc,
      sent.thread.id,
      sent.message.id,
    );
    const treat = as('practitioner-treat-thread', doctor);
    await treatThread(treat.deps, doc, sent.thread.id);
    expect(await summary(sent.thread.id)).toEqual([
      ['thread.started', `practitioner:${DOC}`, first.requestId],
      ['message.retracted', `practitioner:${DOC}`, retract.requestId],
      ['thread.treated', `practitioner:${DOC}`, treat.requestId],
    ]);
    expect((await trail(sent.thread.id))[1]?.objects.messageId).toBe(sent.message.id);
  });

  it('a refused or lost write leaves no entry: 20 racing replies under `single`, one commits, one entry', async () => {
    const doc = ctx.practitioner(DOC);
    const pat = ctx.patient(PAT);
    const sent = await startPractitionerThread(as('practitioner-start-thread', doctor).deps, doc, {
      patientId: PAT,
      body: 'Comment allez-vous ?',
      replyPolicy: 'single',
    });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        writeAsPatient(as('patient-write', patient).deps, pat, sent.thread.id, { body: `${i}` }),
      ),
    );
    const committed = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    expect(committed).toHaveLength(1);
    const actions = (await trail(sent.thread.id)).map((e) => e.action);
    expect(actions).toEqual(['thread.started', 'message.sent']);

    // Refusals: a closed thread, another practitioner's thread: nothing recorded.
    await treatThread(as('practitioner-treat-thread', doctor).deps, doc, sent.thread.id, {
      lastSeenMessageId: committed[0]?.message.id as string,
    });
    await expect(
      replyAsPractitioner(as('practitioner-reply', doctor).deps, doc, sent.thread.id, {
        body: 'x',
        replyPolicy: 'none',
      }),
    ).rejects.toMatchObject({ code: 'THREAD_CLOSED' });
    await expect(
      getPractitionerThread(
        as('practitioner-get-thread', { role: 'practitioner', id: OTHER_DOC }).deps,
        ctx.practitioner(OTHER_DOC),
        sent.thread.id,
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await trail(sent.thread.id)).map((e) => e.action)).toEqual([
      'thread.started',
      'message.sent',
      'thread.treated',
    ]);
  });

  it('is shown to the thread’s practitioner only, oldest first, page by page', async () => {
    const doc = ctx.practitioner(DOC);
    const sent = await startPractitionerThread(as('practitioner-start-thread', doctor).deps, doc, {
      patientId: PAT,
      body: 'Bonjour',
      replyPolicy: 'until_closed',
    });
    for (let i = 0; i < 4; i++) {
      ctx.clock.advance(1_000);
      await getPractitionerThread(as('practitioner-get-thread', doctor).deps, doc, sent.thread.id);
    }
    const first = await threadAuditTrail(ctx.as('practitioner-thread-audit'), doc, sent.thread.id, {
      limit: 2,
    });
    expect(first.items.map((e) => e.action)).toEqual(['thread.started', 'thread.viewed']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await threadAuditTrail(ctx.as('practitioner-thread-audit'), doc, sent.thread.id, {
      limit: 2,
      cursor: first.nextCursor ?? '',
    });
    const third = await threadAuditTrail(ctx.as('practitioner-thread-audit'), doc, sent.thread.id, {
      limit: 2,
      cursor: second.nextCursor ?? '',
    });
    expect([...second.items, ...third.items].map((e) => e.action)).toEqual(Array(3).fill('thread.viewed'));
    expect(third.nextCursor).toBeNull();

    await expect(
      threadAuditTrail(ctx.as('practitioner-thread-audit'), ctx.practitioner(OTHER_DOC), sent.thread.id, {
        limit: 10,
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // A cursor is only valid on the trail it came from.
    const other = await startPractitionerThread(as('practitioner-start-thread', doctor).deps, doc, {
      patientId: PAT,
      body: 'Autre',
      replyPolicy: 'none',
    });
    await expect(
      threadAuditTrail(ctx.as('practitioner-thread-audit'), doc, other.thread.id, {
        limit: 2,
        cursor: first.nextCursor ?? '',
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  it('holds ids, verbs and times only — never the message text or an email', async () => {
    const started = await startPatientRequest(as('patient-start-thread', patient).deps, ctx.patient(PAT), {
      practitionerId: DOC,
      body: SECRET,
    });
    await getPractitionerThread(
      as('practitioner-get-thread', doctor).deps,
      ctx.practitioner(DOC),
      started.thread.id,
    );
    const { Items = [] } = await ctx.db.client.send(
      new QueryCommand({
        TableName: ctx.db.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': auditKeys.threadPartition(started.thread.id) },
      }),
    );
    expect(Items).toHaveLength(2);
    const stored = JSON.stringify(Items);
    expect(stored).not.toContain('traitement');
    expect(stored).not.toContain('@');
    // TTL: 20 years after the entry.
    const first = Items[0] as { at: string; expiresAt: number };
    expect(first.expiresAt).toBe(
      Date.parse(first.at.replace(/^\d{4}/, (y) => String(Number(y) + 20))) / 1000,
    );
  });

  it('changes made by a consumer are recorded as `system` with the event id', async () => {
    const events = agenda(ctx);
    const doc = ctx.practitioner(DOC);
    const template = await createTemplate(ctx.as('practitioner-create-template'), doc, {
      name: 'Suivi',
      body: 'Comment allez-vous ?',
    });
    await createAutomation(ctx.as('practitioner-create-automation'), doc, {
      trigger: 'appointment_completed',
      templateId: template.id,
      replyPolicy: 'single',
      delayMinutes: 0,
    });
    await events.deliver('AppointmentBooked', events.booked(DOC, 'appt-1', PAT));
    await events.deliver('AppointmentCompleted', events.completed(DOC, 'appt-1', PAT), {
      id: 'evt-completed',
    });
    const [thread] = ctx.published.filter((e) => e.detailType === 'ThreadStarted').map((e) => e.data);
    const entries = await trail(String(thread?.threadId));
    expect(entries).toEqual([
      expect.objectContaining({
        action: 'thread.started',
        actor: { role: 'system', id: 'appointment-events' },
        requestId: 'evt-completed',
        objects: expect.objectContaining({ appointmentId: 'appt-1' }),
      }),
    ]);
  });
});
