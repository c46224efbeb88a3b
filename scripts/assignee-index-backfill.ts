/**
 * The gsi7 (triage) backfill: open threads last written before gsi7 existed have no entry
 * there, so `assignee=none` misses them until their next write (ADR 0015). This gives each
 * one the entry its next write would give it (thread-repository.ts assigneeIndexKeys), and
 * only while the thread is still exactly as read: never over a concurrent write.
 *
 * Candidates come from gsi2, which holds only the threads in practitioners' lists (no
 * messages, no other item): one Query of `PRAC#<id>#OPEN` for one practitioner, else a
 * parallel Scan of gsi2 (no item lists every practitioner; docs/runbook.md says why a Scan).
 * Each candidate is re-read from the table (consistent BatchGetItem, the attributes the entry
 * needs), since index entries lag; a thread that still needs its entry gets one UpdateItem
 * conditioned on that read. Counts only: never an item's content.
 */
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Db } from '../shared/db/client.ts';
import { type ItemKey, inboxKeys } from '../shared/db/keys.ts';
import { type AssigneeIndexed, assigneeIndexKeys } from '../shared/repositories/thread-repository.ts';

export interface BackfillOptions {
  /** Only this practitioner's open threads (one Query), instead of every practitioner's (a Scan of gsi2). */
  practitionerId?: string;
  /** Count what would be written; write nothing. */
  dryRun?: boolean;
  /** Parallel Scan segments (every practitioner); ignored for one. */
  segments?: number;
}

export interface BackfillCounts {
  /** Open thread entries found on gsi2 (the Query's or the Scan's, after its status filter). */
  listed: number;
  /** Of those, already in gsi7 (or closed, archived, gone since the list was read). */
  indexed: number;
  /** Entries written (a dry run: that would be written). */
  updated: number;
  /** Changed between the read and the write (the condition failed): left to that write. */
  skipped: number;
}

const BATCH_GET_LIMIT = 100;
const DEFAULT_SEGMENTS = 4;
/** What a thread's gsi7 entry depends on, the version it is conditioned on, and whether it has one. */
const READ_ATTRIBUTES = [
  ...['pk', 'sk', 'id', 'practitionerId', 'status', 'lastMessageAt', 'archived', 'dormant', 'assigneeId'],
  ...['version', 'gsi7pk'],
].map((name) => ({ name, placeholder: `#${name}` }));
/** Conditional writes in flight at once, per page. */
const WRITES_IN_FLIGHT = 10;

type ThreadRead = AssigneeIndexed & ItemKey & { version?: number; gsi7pk?: string };
type Page = { Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> };

/**
 * Hands the open-thread keys on gsi2 to `handle`, a page at a time (keys only: the table is
 * read again). Every practitioner: the Scan's segments side by side, each waiting for its page
 * to be handled before reading the next (so at most `segments` pages are in hand).
 */
const forEachOpenThreadPage = async (
  db: Db,
  options: BackfillOptions,
  handle: (keys: ItemKey[]) => Promise<void>,
): Promise<void> => {
  const walk = async (read: (start?: Record<string, unknown>) => Promise<Page>) => {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await read(start);
      await handle((page.Items ?? []) as unknown as ItemKey[]);
      start = page.LastEvaluatedKey;
    } while (start);
  };
  if (options.practitionerId !== undefined) {
    const pk = inboxKeys.practitionerByStatus(options.practitionerId, 'open');
    return walk((start) =>
      db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          IndexName: 'gsi2',
          KeyConditionExpression: 'gsi2pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey: start,
        }),
      ),
    );
  }
  const segments = options.segments ?? DEFAULT_SEGMENTS;
  await Promise.all(
    Array.from({ length: segments }, (_, segment) =>
      walk((start) =>
        db.client.send(
          new ScanCommand({
            TableName: db.tableName,
            IndexName: 'gsi2',
            Segment: segment,
            TotalSegments: segments,
            FilterExpression: '#status = :open',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':open': 'open' },
            ProjectionExpression: 'pk, sk',
            ExclusiveStartKey: start,
          }),
        ),
      ),
    ),
  );
};

/** The threads as they are now (consistent reads), only the attributes their entry needs. */
const readThreads = async (db: Db, keys: ItemKey[]): Promise<ThreadRead[]> => {
  const found: ThreadRead[] = [];
  for (let at = 0; at < keys.length; at += BATCH_GET_LIMIT) {
    let pending: Record<string, unknown>[] | undefined = keys
      .slice(at, at + BATCH_GET_LIMIT)
      .map(({ pk, sk }) => ({ pk, sk }));
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(2 ** attempt * 50, 2000)));
      const { Responses, UnprocessedKeys }: BatchGetCommandOutput = await db.client.send(
        new BatchGetCommand({
          RequestItems: {
            [db.tableName]: {
              Keys: pending,
              ConsistentRead: true,
              ProjectionExpression: READ_ATTRIBUTES.map((a) => a.placeholder).join(', '),
              ExpressionAttributeNames: Object.fromEntries(
                READ_ATTRIBUTES.map((a) => [a.placeholder, a.name]),
              ),
            },
          },
        }),
      );
      found.push(...((Responses?.[db.tableName] ?? []) as ThreadRead[]));
      pending = UnprocessedKeys?.[db.tableName]?.Keys;
    }
  }
  return found;
};

/**
 * Sets the entry, only if the thread is still the one read: no entry yet, still open, same
 * version (every thread write bumps it). A false condition means a concurrent write landed
 * (it wrote the entry itself, or closed the thread): nothing to do.
 */
const writeEntry = async (db: Db, thread: ThreadRead, entry: { gsi7pk: string; gsi7sk: string }) => {
  const sameVersion = thread.version === undefined ? 'attribute_not_exists(#version)' : '#version = :version';
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: { pk: thread.pk, sk: thread.sk },
        UpdateExpression: 'SET gsi7pk = :gsi7pk, gsi7sk = :gsi7sk',
        ConditionExpression: `attribute_not_exists(gsi7pk) AND #status = :open AND ${sameVersion}`,
        ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
        ExpressionAttributeValues: {
          ':gsi7pk': entry.gsi7pk,
          ':gsi7sk': entry.gsi7sk,
          ':open': 'open',
          ...(thread.version !== undefined && { ':version': thread.version }),
        },
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
};

/** Gives every open thread without a gsi7 entry the one its next write would give it; counts. */
export const backfillAssigneeIndex = async (
  db: Db,
  options: BackfillOptions = {},
): Promise<BackfillCounts> => {
  const counts: BackfillCounts = { listed: 0, indexed: 0, updated: 0, skipped: 0 };
  const backfill = async (thread: ThreadRead) => {
    const entry = assigneeIndexKeys(thread);
    if (!entry || thread.gsi7pk !== undefined) counts.indexed++;
    else if (options.dryRun || (await writeEntry(db, thread, entry))) counts.updated++;
    else counts.skipped++;
  };
  await forEachOpenThreadPage(db, options, async (keys) => {
    counts.listed += keys.length;
    const threads = await readThreads(db, keys);
    counts.indexed += keys.length - threads.length; // deleted since listed: nothing to index
    for (let at = 0; at < threads.length; at += WRITES_IN_FLIGHT) {
      await Promise.all(threads.slice(at, at + WRITES_IN_FLIGHT).map(backfill));
    }
  });
  return counts;
};
