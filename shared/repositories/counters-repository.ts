import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { type CounterSubject, counterReconcileKeys, type ItemKey, inboxKeys, keys } from '../db/keys.ts';
import { queryAll, queryCount } from '../db/query-all.ts';
import { cancellationCodes } from '../db/transactions.ts';
import type { PatientCounters, PractitionerCounters } from '../domain/types.ts';

const count = (value: unknown): number => (typeof value === 'number' ? value : 0);

/** A counters item to reconcile: its marker, and the version the last run saw (quiescence check). */
export interface ReconcileMarker {
  subject: CounterSubject;
  id: string;
  seenVersion: number | null;
}

/** The counters as stored, with the version every change bumps. */
export interface StoredCounters<C> {
  counters: C;
  version: number;
}

const counterKey = (subject: CounterSubject, id: string): ItemKey =>
  subject === 'practitioner' ? keys.practitionerCounters(id) : keys.patientCounters(id);

/**
 * Sums or counts a thread index partition, page by page (Query, never Scan):
 * `sum` summed over the items, or the items counted when there is none.
 * Only items with `positive` > 0 when given.
 */
const aggregate = async (
  db: Db,
  index: string,
  partition: string,
  options: { sum?: string; positive?: string },
): Promise<number> => {
  const { sum, positive } = options;
  const input = {
    IndexName: index,
    KeyConditionExpression: '#pk = :pk',
    ...(positive && { FilterExpression: '#positive > :zero' }),
    ExpressionAttributeNames: { '#pk': `${index}pk`, ...(positive && { '#positive': positive }) },
    ExpressionAttributeValues: { ':pk': partition, ...(positive && { ':zero': 0 }) },
  };
  if (!sum) return queryCount(db, input);
  const values = await queryAll(
    db,
    {
      ...input,
      ProjectionExpression: '#sum',
      ExpressionAttributeNames: { ...input.ExpressionAttributeNames, '#sum': sum },
    },
    (item) => count(item[sum]),
  );
  return values.reduce((total, value) => total + value, 0);
};

/** The sidebar badges: one GetItem each, kept exact by the thread transactions. */
export const createCountersRepository = (db: Db) => ({
  async practitioner(practitionerId: string): Promise<PractitionerCounters> {
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.practitionerCounters(practitionerId) }),
    );
    return {
      untreatedMessages: count(Item?.untreatedMessages),
      unreadThreads: count(Item?.unreadThreads),
      openThreads: count(Item?.openThreads),
    };
  },

  async patient(patientId: string): Promise<PatientCounters> {
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.patientCounters(patientId) }),
    );
    return { unreadMessages: count(Item?.unreadMessages) };
  },

  /** The counters item as it is now (strongly consistent), with its version. */
  async stored(subject: CounterSubject, id: string): Promise<StoredCounters<Record<string, number>>> {
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: counterKey(subject, id), ConsistentRead: true }),
    );
    const fields =
      subject === 'practitioner' ? ['untreatedMessages', 'unreadThreads', 'openThreads'] : ['unreadMessages'];
    return {
      counters: Object.fromEntries(fields.map((field) => [field, count(Item?.[field])])),
      version: count(Item?.counterVersion),
    };
  },

  /**
   * What the counters should hold, from the thread indexes (Queries; the cost
   * grows with the practitioner's inbox or the patient's threads, paid only when
   * a counter drifted): untreated messages over the sparse untreated index, open
   * threads on the open index, unread threads and messages with a filter.
   */
  async truth(subject: CounterSubject, id: string): Promise<Record<string, number>> {
    if (subject === 'practitioner') {
      const [untreatedMessages, openThreads, unreadThreads] = await Promise.all([
        aggregate(db, 'gsi3', inboxKeys.practitionerUntreated(id), { sum: 'untreatedCount' }),
        aggregate(db, 'gsi2', inboxKeys.practitionerByStatus(id, 'open'), {}),
        aggregate(db, 'gsi1', inboxKeys.practitionerAll(id), { positive: 'unreadForPractitioner' }),
      ]);
      return { untreatedMessages, unreadThreads, openThreads };
    }
    return {
      unreadMessages: await aggregate(db, 'gsi4', inboxKeys.patientAll(id), {
        sum: 'unreadForPatient',
        positive: 'unreadForPatient',
      }),
    };
  },

  /**
   * Writes recomputed counters, only over the version they were computed from
   * (a change meanwhile: false, try again later), and removes the marker.
   */
  async overwrite(
    subject: CounterSubject,
    id: string,
    truth: Record<string, number>,
    fromVersion: number,
  ): Promise<boolean> {
    const fields = Object.entries(truth);
    try {
      await db.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: db.tableName,
                Key: counterKey(subject, id),
                UpdateExpression: `SET ${fields.map((_, i) => `#f${i} = :v${i}`).join(', ')} ADD counterVersion :one`,
                ConditionExpression: 'attribute_not_exists(counterVersion) OR counterVersion = :version',
                ExpressionAttributeNames: Object.fromEntries(fields.map(([field], i) => [`#f${i}`, field])),
                ExpressionAttributeValues: {
                  ...Object.fromEntries(fields.map(([, value], i) => [`:v${i}`, value])),
                  ':version': fromVersion,
                  ':one': 1,
                },
              },
            },
            { Delete: { TableName: db.tableName, Key: counterReconcileKeys.marker(subject, id) } },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') return false;
      throw error;
    }
  },

  /** Marks counters for the reconciler (on demand; a drifted change marks them in its own transaction). */
  async mark(subject: CounterSubject, id: string, at: string): Promise<void> {
    await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: counterReconcileKeys.marker(subject, id),
        UpdateExpression:
          'SET entity = :entity, schemaVersion = :one, subject = :subject, subjectId = :id, flaggedAt = :at',
        ExpressionAttributeValues: {
          ':entity': 'CounterReconcile',
          ':one': 1,
          ':subject': subject,
          ':id': id,
          ':at': at,
        },
      }),
    );
  },

  /** Records the version a run saw, for the next run's quiescence check. */
  async noteSeenVersion(subject: CounterSubject, id: string, version: number): Promise<void> {
    await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: counterReconcileKeys.marker(subject, id),
        UpdateExpression: 'SET seenVersion = :version',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':version': version },
      }),
    );
  },

  /**
   * The marked counters items: the first page of each marker partition (one Query each, up to 1 MB, ~10,000
   * markers). A run reconciles and unmarks what it read, so what a page left is read by the next run: one
   * run stays bounded in time however many counters were marked.
   */
  async marked(): Promise<ReconcileMarker[]> {
    const pages = await Promise.all(
      counterReconcileKeys.shards().map((pk) =>
        db.client.send(
          new QueryCommand({
            TableName: db.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
          }),
        ),
      ),
    );
    return pages.flatMap((page) =>
      (page.Items ?? []).flatMap((item) => {
        const subject = counterReconcileKeys.subjectOf(String(item.sk));
        return subject
          ? [{ ...subject, seenVersion: typeof item.seenVersion === 'number' ? item.seenVersion : null }]
          : [];
      }),
    );
  },
});

export type CountersRepository = ReturnType<typeof createCountersRepository>;
