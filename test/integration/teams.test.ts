/**
 * Practice teams on DynamoDB Local (SPEC 11.2): the grant and its mirror always
 * agree, whatever runs concurrently; an assignment lands exactly once and only on
 * the practitioner or a current delegate; gsi7 lists the open threads by assignee.
 * Each step runs with its function's own declared grants (local IAM enforcement).
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { delegateKeys } from '../../shared/db/keys.ts';
import {
  listPractitionersOfAssistant,
  putDelegate,
  removeDelegate,
} from '../../shared/use-cases/delegation.ts';
import { startPatientRequest } from '../../shared/use-cases/patient-messaging.ts';
import { listPractitionerThreads, treatThread } from '../../shared/use-cases/practitioner-messaging.ts';
import { assignThread } from '../../shared/use-cases/triage.ts';
import { createTestContext, type TestContext } from './harness.ts';
import { putPatient } from './practice.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});

const DOC = 'dr-teams';
const partition = async (pk: string) =>
  (
    await ctx.db.client.send(
      new QueryCommand({
        TableName: ctx.db.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];

describe('grants', () => {
  it('grant and mirror agree after 40 concurrent grants and revocations of the same assistants', async () => {
    const doc = ctx.practitioner(DOC);
    const assistants = ['a-1', 'a-2', 'a-3', 'a-4'];
    await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => {
        const assistantId = assistants[i % assistants.length] as string;
        return i % 3 === 2
          ? removeDelegate(ctx.as('practitioner-delete-delegate'), doc, assistantId)
          : putDelegate(ctx.as('practitioner-put-delegate'), doc, assistantId, {
              displayName: `Assistant ${i}`,
              scopes: i % 2 ? ['inbox'] : ['inbox', 'patients'],
              notify: false,
            });
      }),
    );
    const grants = await partition(delegateKeys.grantPartition(DOC));
    for (const assistantId of assistants) {
      const grant = grants.find((item) => item.assistantId === assistantId);
      const mirror = (await partition(delegateKeys.mirrorPartition(assistantId))).find(
        (item) => item.practitionerId === DOC,
      );
      // Both or neither, and the very same grant.
      expect(Boolean(mirror)).toBe(Boolean(grant));
      if (grant && mirror) {
        expect({ scopes: mirror.scopes, displayName: mirror.displayName }).toEqual({
          scopes: grant.scopes,
          displayName: grant.displayName,
        });
      }
    }
  });

  it('the assistant lists every practitioner who delegates to them, and no other', async () => {
    for (const practitionerId of ['dr-x', 'dr-y']) {
      await putDelegate(ctx.as('practitioner-put-delegate'), ctx.practitioner(practitionerId), 'a-shared', {
        displayName: 'Sophie',
        scopes: ['inbox'],
        notify: false,
      });
    }
    await putDelegate(ctx.as('practitioner-put-delegate'), ctx.practitioner('dr-z'), 'a-other', {
      displayName: 'Marc',
      scopes: ['settings'],
      notify: false,
    });
    const page = await listPractitionersOfAssistant(ctx.as('assistant-list-practitioners'), 'a-shared', {
      limit: 20,
    });
    expect(page.items.map((item) => item.practitionerId)).toEqual(['dr-x', 'dr-y']);
  });
});

describe('triage', () => {
  it('20 concurrent assignments: one final assignee, one audit entry per change, gsi7 lists it once', async () => {
    const doc = ctx.practitioner('dr-triage');
    await putPatient(ctx, 'dr-triage', 'pat-triage');
    const started = await startPatientRequest(ctx.as('patient-start-thread'), ctx.patient('pat-triage'), {
      practitionerId: 'dr-triage',
      body: 'Bonjour',
    });
    const threadId = started.thread.id;
    await putDelegate(ctx.as('practitioner-put-delegate'), doc, 'a-triage', {
      displayName: 'Sophie',
      scopes: ['inbox'],
      notify: false,
    });
    const candidates = ['a-triage', 'dr-triage', null];
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        assignThread(ctx.as('practitioner-assign-thread'), doc, threadId, candidates[i % 3] as string | null),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const thread = await ctx.deps.threads.getThread(threadId);
    const final = thread?.assigneeId ?? null;
    const list = ctx.as('practitioner-list-threads');
    const listed = async (assignee: string) =>
      (
        await listPractitionerThreads(list, doc, { filter: 'all', limit: 20, assignee }, 'a-triage')
      ).items.map((t) => t.id);
    const lists = { me: await listed('me'), none: await listed('none'), doctor: await listed('dr-triage') };
    const expected = { me: final === 'a-triage', none: final === null, doctor: final === 'dr-triage' };
    expect(lists).toEqual({
      me: expected.me ? [threadId] : [],
      none: expected.none ? [threadId] : [],
      doctor: expected.doctor ? [threadId] : [],
    });

    await expect(
      assignThread(ctx.as('practitioner-assign-thread'), doc, threadId, 'a-stranger'),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(
      assignThread(ctx.as('practitioner-assign-thread'), ctx.practitioner('dr-other'), threadId, null),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // Treated: it leaves the open inbox, so every assignee's list.
    await assignThread(ctx.as('practitioner-assign-thread'), doc, threadId, 'a-triage');
    await treatThread(ctx.as('practitioner-treat-thread'), doc, threadId, {
      lastSeenMessageId: started.message.id,
    });
    expect(await listed('me')).toEqual([]);
  });
});
