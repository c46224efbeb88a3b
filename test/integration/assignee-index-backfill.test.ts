/**
 * The gsi7 backfill (scripts/assignee-index-backfill.ts) on DynamoDB Local: threads made by
 * the real use cases, their gsi7 keys removed as if last written before gsi7 existed. The
 * backfill gives them back exactly the entry the repository wrote, touches nothing else, does
 * nothing the second time, and never writes over a change made between its read and its write.
 */

import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { MetadataBearer } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { backfillAssigneeIndex } from '../../scripts/assignee-index-backfill.ts';
import { createDocumentClient, type Db } from '../../shared/db/client.ts';
import { activitySortKey, keys } from '../../shared/db/keys.ts';
import { startPatientRequest } from '../../shared/use-cases/patient-messaging.ts';
import {
  listPractitionerThreads,
  replyAsPractitioner,
} from '../../shared/use-cases/practitioner-messaging.ts';
import { assignThread } from '../../shared/use-cases/triage.ts';
import { createTestContext, dynamoDbEndpoint, type TestContext, viewThenTreat } from './harness.ts';
import { putPatient } from './practice.ts';

const threadItem = async (ctx: TestContext, threadId: string) =>
  (
    await ctx.db.client.send(
      new GetCommand({ TableName: ctx.db.tableName, Key: keys.thread(threadId), ConsistentRead: true }),
    )
  ).Item as Record<string, unknown>;

/** The thread as written before gsi7: the same item without its gsi7 keys. */
const stripAssigneeIndex = (ctx: TestContext, threadId: string) =>
  ctx.db.client.send(
    new UpdateCommand({
      TableName: ctx.db.tableName,
      Key: keys.thread(threadId),
      UpdateExpression: 'REMOVE gsi7pk, gsi7sk',
    }),
  );

const openRequest = async (ctx: TestContext, doc: string, patientId: string) => {
  await putPatient(ctx, doc, patientId);
  const started = await startPatientRequest(ctx.as('patient-start-thread'), ctx.patient(patientId), {
    practitionerId: doc,
    body: 'Bonjour',
  });
  ctx.clock.advance(1000);
  return started.thread.id;
};

const listed = async (ctx: TestContext, doc: string, assignee: string) =>
  (
    await listPractitionerThreads(ctx.as('practitioner-list-threads'), ctx.practitioner(doc), {
      filter: 'all',
      limit: 50,
      assignee,
    })
  ).items
    .map((thread) => thread.id)
    .sort();

const gsi7Of = (item: Record<string, unknown>) => ({ gsi7pk: item.gsi7pk, gsi7sk: item.gsi7sk });

describe('gsi7 backfill', () => {
  it('indexes the open threads written before gsi7 as the repository does, nothing else, once', async () => {
    const ctx = await createTestContext();
    const doc = 'dr-backfill';
    const unassigned1 = await openRequest(ctx, doc, 'pat-1');
    const unassigned2 = await openRequest(ctx, doc, 'pat-2');
    const assigned = await openRequest(ctx, doc, 'pat-3');
    const indexed = await openRequest(ctx, doc, 'pat-4');
    const closed = await openRequest(ctx, doc, 'pat-5');
    await assignThread(ctx.as('practitioner-assign-thread'), ctx.practitioner(doc), assigned, doc);
    await viewThenTreat(ctx, ctx.practitioner(doc), closed);
    const otherDoc = 'dr-other';
    const otherThread = await openRequest(ctx, otherDoc, 'pat-6');

    const stripped = [unassigned1, unassigned2, assigned, otherThread];
    const written = new Map<string, Record<string, unknown>>();
    for (const threadId of stripped) {
      written.set(threadId, await threadItem(ctx, threadId));
      await stripAssigneeIndex(ctx, threadId);
    }
    const closedBefore = await threadItem(ctx, closed);
    const indexedBefore = await threadItem(ctx, indexed);
    expect(closedBefore.gsi7pk).toBeUndefined();
    // The gap: only the thread written since gsi7 is listed.
    expect(await listed(ctx, doc, 'none')).toEqual([indexed]);

    // A dry run counts and writes nothing.
    expect(await backfillAssigneeIndex(ctx.db, { dryRun: true })).toEqual({
      listed: 5,
      indexed: 1,
      updated: 4,
      skipped: 0,
    });
    expect(await listed(ctx, doc, 'none')).toEqual([indexed]);

    // One practitioner: one Query of their open list, the other's thread left alone.
    expect(await backfillAssigneeIndex(ctx.db, { practitionerId: otherDoc })).toEqual({
      listed: 1,
      indexed: 0,
      updated: 1,
      skipped: 0,
    });
    expect((await threadItem(ctx, unassigned1)).gsi7pk).toBeUndefined();

    // Everyone's (a Scan of gsi2): the rest.
    expect(await backfillAssigneeIndex(ctx.db, { segments: 3 })).toEqual({
      listed: 5,
      indexed: 2,
      updated: 3,
      skipped: 0,
    });
    expect(await listed(ctx, doc, 'none')).toEqual([unassigned1, unassigned2, indexed].sort());
    expect(await listed(ctx, doc, doc)).toEqual([assigned]);
    expect(await listed(ctx, otherDoc, 'none')).toEqual([otherThread]);
    // Exactly the item the repository wrote: the same keys, nothing else changed (not even the version).
    for (const threadId of stripped) {
      expect(await threadItem(ctx, threadId)).toEqual(written.get(threadId));
    }
    expect(await threadItem(ctx, closed)).toEqual(closedBefore);
    expect(await threadItem(ctx, indexed)).toEqual(indexedBefore);

    // Again: nothing left to do.
    expect(await backfillAssigneeIndex(ctx.db)).toEqual({ listed: 5, indexed: 5, updated: 0, skipped: 0 });
  });

  it('skips a thread changed between its read and its write, whoever changed it', async () => {
    const ctx = await createTestContext();
    const doc = 'dr-race';
    const replied = await openRequest(ctx, doc, 'pat-r1');
    const oldWriter = await openRequest(ctx, doc, 'pat-r2');
    for (const threadId of [replied, oldWriter]) await stripAssigneeIndex(ctx, threadId);
    const later = '2026-05-14T09:00:00.000Z';

    /**
     * The writes that land while the backfill holds its read: just before its UpdateItem of a
     * thread is sent, a practitioner reply (today's code: writes the gsi7 entry, new sort key),
     * or a write by a function version from before gsi7 (a new version, no gsi7 keys).
     */
    const concurrent: Record<string, () => Promise<unknown>> = {
      [replied]: async () => {
        ctx.clock.set(later);
        await replyAsPractitioner(ctx.as('practitioner-reply'), ctx.practitioner(doc), replied, {
          body: 'Oui',
        });
      },
      [oldWriter]: () =>
        ctx.db.client.send(
          new UpdateCommand({
            TableName: ctx.db.tableName,
            Key: keys.thread(oldWriter),
            UpdateExpression: 'SET #version = #version + :one, lastMessageAt = :later',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':one': 1, ':later': later },
          }),
        ),
    };
    const racing: Db = {
      client: createDocumentClient({ endpoint: dynamoDbEndpoint(), region: 'eu-west-3' }),
      tableName: ctx.db.tableName,
    };
    const interleaved: string[] = [];
    racing.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand') {
          const threadId = Object.keys(concurrent).find((id) => JSON.stringify(args.input).includes(id));
          if (threadId && !interleaved.includes(threadId)) {
            interleaved.push(threadId);
            await concurrent[threadId]?.();
          }
        }
        return next(args) as Promise<{ output: MetadataBearer; response: unknown }>;
      },
      { step: 'initialize', name: 'concurrent-write-before-update' },
    );

    expect(await backfillAssigneeIndex(racing)).toEqual({ listed: 2, indexed: 0, updated: 0, skipped: 2 });
    expect(interleaved.sort()).toEqual([replied, oldWriter].sort());
    // The reply's own entry stands (its sort key, not the stale one the backfill computed).
    expect(gsi7Of(await threadItem(ctx, replied))).toEqual({
      gsi7pk: `PRAC#${doc}#ASSIGNEE#NONE`,
      gsi7sk: activitySortKey(later, replied),
    });
    // The old version's write left no entry, and the stale one was not written over it.
    expect((await threadItem(ctx, oldWriter)).gsi7pk).toBeUndefined();

    // The next run indexes it as it is now.
    expect(await backfillAssigneeIndex(ctx.db)).toEqual({ listed: 2, indexed: 1, updated: 1, skipped: 0 });
    expect(gsi7Of(await threadItem(ctx, oldWriter))).toEqual({
      gsi7pk: `PRAC#${doc}#ASSIGNEE#NONE`,
      gsi7sk: activitySortKey(later, oldWriter),
    });
  });
});
