import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { decodeCursor, encodeCursor } from '../db/cursor.ts';
import {
  activitySortKey,
  type CounterSubject,
  counterReconcileKeys,
  type ItemKey,
  inboxKeys,
  keys,
  MESSAGE_SK_PREFIX,
  messageIdOfSk,
  type PractitionerInboxFilter,
  patientReadMarkRange,
  THREAD_SK,
  threadPageRange,
} from '../db/keys.ts';
import { queryAll, queryCount } from '../db/query-all.ts';
import { type Page, type PageRequest, queryPage } from '../db/query-page.ts';
import { cancellationCodes, OptimisticConflict, type TransactItem } from '../db/transactions.ts';
import type { AuditEvent } from '../domain/audit.ts';
import { NotInPatientBase, ValidationError } from '../domain/errors.ts';
import { medicalRecordExpiresAt } from '../domain/retention.ts';
import {
  ASSIGNEE_LIST_FIELDS,
  PATIENT_LIST_FIELDS,
  type PatientThreadListEntry,
  PRACTITIONER_LIST_FIELDS,
  type PractitionerThreadListEntry,
} from '../domain/thread-lists.ts';
import {
  nonDecreasingMarks,
  recordMessage,
  type SeenUpTo,
  type SpilledMarks,
  type SpilledMarksNeeded,
  spilledByChange,
} from '../domain/thread-rules.ts';
import { type CounterDelta, type Message, type Thread, ZERO_DELTA } from '../domain/types.ts';
import { logger, metrics } from '../runtime/logger.ts';
import type { PublishedEvent } from '../runtime/publisher.ts';
import type { Outbox } from './outbox-repository.ts';

const THREAD_ENTITY = 'Thread';
const MESSAGE_ENTITY = 'Message';
const READ_MARK_ENTITY = 'PatientReadMark';
const SCHEMA_VERSION = 1;

export type { TransactItem };

/**
 * An extra item written or checked in the same transaction as a thread change
 * (a rule's ConditionCheck, an exactly-once marker, a record update). When its
 * condition fails, `onConditionFailed` says which domain error that means.
 */
export interface ExtraTransactItem {
  item: TransactItem;
  onConditionFailed: () => Error;
  /** What this item means for the audit trail, when the thread states alone cannot tell (a retraction). */
  audit?: AuditEvent;
}

/** What a thread's triage entry depends on (and all the gsi7 backfill reads of a thread). */
export type AssigneeIndexed = Pick<
  Thread,
  'id' | 'practitionerId' | 'status' | 'lastMessageAt' | 'archived' | 'dormant' | 'assigneeId'
>;

/**
 * Triage (gsi7): the open inbox by assignee, unassigned ones under their own partition;
 * null when the thread has no entry (closed, archived, dormant). One rule for every
 * write and for the backfill of threads written before gsi7 (scripts/backfill-assignee-index.ts).
 */
export const assigneeIndexKeys = (thread: AssigneeIndexed) =>
  !thread.archived && thread.dormant !== true && thread.status === 'open'
    ? {
        gsi7pk: inboxKeys.practitionerByAssignee(thread.practitionerId, thread.assigneeId ?? null),
        gsi7sk: activitySortKey(thread.lastMessageAt, thread.id),
      }
    : null;

/**
 * The thread item with its index keys: archived threads leave the practitioner's
 * lists, not the patient's; a dormant one (a group communication's, nobody wrote
 * in it yet) has not entered them.
 */
export const toThreadItem = (thread: Thread) => {
  const sortKey = activitySortKey(thread.lastMessageAt, thread.id);
  const inPractitionerLists = !thread.archived && thread.dormant !== true;
  const untreated = thread.status === 'open' && thread.untreatedCount > 0;
  return {
    ...keys.thread(thread.id),
    entity: THREAD_ENTITY,
    schemaVersion: SCHEMA_VERSION,
    ...thread,
    ...(inPractitionerLists && {
      gsi1pk: inboxKeys.practitionerAll(thread.practitionerId),
      gsi1sk: sortKey,
      gsi2pk: inboxKeys.practitionerByStatus(thread.practitionerId, thread.status),
      gsi2sk: sortKey,
    }),
    ...(inPractitionerLists &&
      untreated && { gsi3pk: inboxKeys.practitionerUntreated(thread.practitionerId), gsi3sk: sortKey }),
    ...assigneeIndexKeys(thread),
    gsi4pk: inboxKeys.patientAll(thread.patientId),
    gsi4sk: sortKey,
    // Kept for the legal retention after its last message, then deleted by TTL (retention.ts).
    expiresAt: medicalRecordExpiresAt(thread.lastMessageAt),
  };
};

const THREAD_FIELDS = [
  'id',
  'practitionerId',
  'patientId',
  'origin',
  'status',
  'replyPolicy',
  'appointmentId',
  'createdAt',
  'lastMessageAt',
  'treatedAt',
  'untreatedCount',
  'unreadForPractitioner',
  'unreadForPatient',
  'patientRepliesLeft',
  'patientReadMarks',
  'patientReadMarksSpilled',
  'practitionerReadAt',
  'lastMessageId',
  'lastPatientMessageId',
  'archived',
  'communicationId',
  'dormant',
  'assigneeId',
  'version',
] as const satisfies readonly (keyof Thread)[];

const pick = <T>(item: Record<string, unknown>, fields: readonly (keyof T)[]): T =>
  Object.fromEntries(fields.map((f) => [f, item[f as string]])) as T;

/**
 * A thread written before read marks were bounded has no `patientReadMarksSpilled`
 * and possibly a long list, in the order the reads were stamped: read as never
 * decreasing (same receipts, thread-rules.ts nonDecreasingMarks), nothing spilled;
 * its next patient reads move the excess out.
 */
export const fromThreadItem = (item: Record<string, unknown>): Thread => {
  const thread = pick<Thread>(item, THREAD_FIELDS);
  return {
    ...thread,
    patientReadMarks: nonDecreasingMarks(thread.patientReadMarks ?? []),
    patientReadMarksSpilled: thread.patientReadMarksSpilled ?? 0,
  };
};

/** A list entry: the attributes its index projects, nothing more (thread-lists.ts). */
const listEntryReader =
  <T>(fields: readonly (keyof T)[]) =>
  (item: Record<string, unknown>): T =>
    pick<T>(item, fields);

const MESSAGE_FIELDS = [
  'id',
  'threadId',
  'practitionerId',
  'patientId',
  'sender',
  'body',
  'sentAt',
  'replyPolicy',
  'retracted',
  'retractedAt',
  'author',
  'attachments',
] as const satisfies readonly (keyof Message)[];

export const toMessageItem = (message: Message) => ({
  ...keys.message(message.threadId, message.id),
  entity: MESSAGE_ENTITY,
  schemaVersion: SCHEMA_VERSION,
  ...message,
  // The medical record's legal retention, then the table's TTL (shared/domain/retention.ts).
  expiresAt: medicalRecordExpiresAt(message.sentAt),
});

export const fromMessageItem = (item: Record<string, unknown>): Message => {
  const message = pick<Message>(item, MESSAGE_FIELDS);
  // A retracted message's body is REMOVEd from the item: nothing of it is left to show.
  return message.retracted === true
    ? {
        ...message,
        body: '',
        retractedAt: message.retractedAt ?? null,
        attachments: message.attachments ?? [],
      }
    : { ...message, retracted: false, retractedAt: null, attachments: message.attachments ?? [] };
};

/**
 * What the write must find in the database, beyond the expected version:
 * `open` — the thread is not closed; `patientMayWrite` — open and the reply
 * policy still grants the patient a message. Stated explicitly so the database,
 * not only the version check, refuses a write into a closed thread or a second
 * reply under `single`.
 */
export type ThreadGuard = 'none' | 'open' | 'patientMayWrite';

export interface ThreadChange {
  /** The state the decision was made on; null when the thread is created. */
  before: Thread | null;
  after: Thread;
  guard: ThreadGuard;
  message?: Message;
  delta: CounterDelta;
  /** Require the patient to be in the practitioner's base (their record exists). */
  requirePatientRecord?: boolean;
  /** A change that treats the thread: what the practitioner had seen must still be all there is (threadPut). */
  treatCondition?: SeenUpTo;
  extraItems?: ExtraTransactItem[];
  /** The events the change causes: written to the outbox in the same transaction (never published here). */
  events?: readonly PublishedEvent[];
  /** The outbox stamping the invocation's correlation id (set by withAuditContext); else the repository's. */
  outbox?: Outbox;
  /** Set when the change is retried without the deltas of drifted counters (see commit). */
  countersDrifted?: readonly CounterSubject[];
}

/** The change again, minus the deltas of counters that drifted, plus their reconcile markers. */
const withoutDrifted = (db: Db, change: ThreadChange, drifted: readonly CounterSubject[]): ThreadChange => {
  metrics.addMetric('CounterFloorFailed', 'Count', drifted.length);
  logger.warn('Counters drifted below a change; committed without their delta, marked for reconciliation', {
    threadId: change.after.id,
    drifted: drifted.join(','),
  });
  const ids = { practitioner: change.after.practitionerId, patient: change.after.patientId };
  return {
    ...change,
    delta: {
      practitioner: drifted.includes('practitioner') ? ZERO_DELTA.practitioner : change.delta.practitioner,
      patient: drifted.includes('patient') ? ZERO_DELTA.patient : change.delta.patient,
    },
    countersDrifted: drifted,
    extraItems: [
      ...(change.extraItems ?? []),
      ...drifted.map((subject) => ({
        item: {
          Put: {
            TableName: db.tableName,
            Item: {
              ...counterReconcileKeys.marker(subject, ids[subject]),
              entity: 'CounterReconcile',
              schemaVersion: 1,
              subject,
              subjectId: ids[subject],
              flaggedAt: change.after.lastMessageAt,
            },
          },
        },
        onConditionFailed: () => new OptimisticConflict(),
      })),
    ],
  };
};

const GUARD_CONDITIONS: Record<ThreadGuard, string> = {
  none: '#version = :expectedVersion',
  open: '#version = :expectedVersion AND #status = :open',
  patientMayWrite:
    '#version = :expectedVersion AND #status = :open AND (#replyPolicy = :untilClosed OR (#replyPolicy = :single AND #patientRepliesLeft > :zero))',
};

const GUARD_VALUES: Record<ThreadGuard, Record<string, unknown>> = {
  none: {},
  open: { ':open': 'open' },
  patientMayWrite: { ':open': 'open', ':untilClosed': 'until_closed', ':single': 'single', ':zero': 0 },
};

const GUARD_NAMES: Record<ThreadGuard, Record<string, string>> = {
  none: { '#version': 'version' },
  open: { '#version': 'version', '#status': 'status' },
  patientMayWrite: {
    '#version': 'version',
    '#status': 'status',
    '#replyPolicy': 'replyPolicy',
    '#patientRepliesLeft': 'patientRepliesLeft',
  },
};

/**
 * The thread Put's condition: the version and guard read, plus what the change
 * itself relies on, stated so that the database refuses the write when it no
 * longer holds (DynamoDB compares strings by their bytes: ULID order).
 * - with a message: it sorts after the thread's newest one (ids only grow);
 * - with `treatCondition` (a treat, or a reply with markTreated): no patient
 *   message the practitioner has not seen — the newest patient message is at or
 *   before `lastSeenMessageId`, or, without it, none arrived since their last
 *   read (`unreadForPractitioner = 0`). A patient message committing between the
 *   practitioner's read and the treat fails the treat here, whatever the caller did.
 * Absent `lastMessageId` / `lastPatientMessageId` (threads written before they
 * were kept) pass: the version check and the caller's look at the messages cover them.
 */
const threadPut = (db: Db, change: ThreadChange, after: Thread): TransactItem => {
  const Item = toThreadItem(after);
  if (!change.before) {
    return { Put: { TableName: db.tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' } };
  }
  const clauses = [GUARD_CONDITIONS[change.guard]];
  const names: Record<string, string> = { ...GUARD_NAMES[change.guard] };
  const values: Record<string, unknown> = {
    ':expectedVersion': change.before.version,
    ...GUARD_VALUES[change.guard],
  };
  const noneYetOr = (name: string, comparison: string) =>
    `(attribute_not_exists(${name}) OR attribute_type(${name}, :nullType) OR ${comparison})`;
  if (change.message) {
    names['#lastMessageId'] = 'lastMessageId';
    values[':messageId'] = change.message.id;
    values[':nullType'] = 'NULL';
    clauses.push(noneYetOr('#lastMessageId', '#lastMessageId < :messageId'));
  }
  const seen = change.treatCondition;
  if (seen && 'lastRead' in seen) {
    names['#unreadForPractitioner'] = 'unreadForPractitioner';
    values[':noneUnread'] = 0;
    clauses.push('#unreadForPractitioner = :noneUnread');
  } else if (seen) {
    names['#lastPatientMessageId'] = 'lastPatientMessageId';
    values[':lastSeenMessageId'] = seen.lastSeenMessageId;
    values[':nullType'] = 'NULL';
    clauses.push(noneYetOr('#lastPatientMessageId', '#lastPatientMessageId <= :lastSeenMessageId'));
  }
  return {
    Put: {
      TableName: db.tableName,
      Item,
      ConditionExpression: clauses.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
};

/**
 * ADD the signed deltas; a decrement is conditioned on the counter holding at
 * least that much, so a counter can never go negative.
 */
export const counterUpdate = (
  db: Db,
  key: { pk: string; sk: string },
  counters: Record<string, number>,
): TransactItem | null => {
  // Every change bumps counterVersion: the reconciler writes only over the version it computed from.
  const entries = Object.entries(counters).filter(([, value]) => value !== 0);
  if (entries.length === 0) return null;
  const names: Record<string, string> = {};
  const values: Record<string, number> = {};
  const adds: string[] = [];
  const floors: string[] = [];
  entries.forEach(([name, value], i) => {
    names[`#c${i}`] = name;
    values[`:d${i}`] = value;
    adds.push(`#c${i} :d${i}`);
    if (value < 0) {
      values[`:f${i}`] = -value;
      floors.push(`#c${i} >= :f${i}`);
    }
  });
  return {
    Update: {
      TableName: db.tableName,
      Key: key,
      UpdateExpression: `ADD ${[...adds, 'counterVersion :one'].join(', ')}`,
      ...(floors.length > 0 && { ConditionExpression: floors.join(' AND ') }),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ...values, ':one': 1 },
    },
  };
};

type Labelled = {
  label:
    | 'thread'
    | 'message'
    | 'readMark'
    | 'patientRecord'
    | 'practitionerCounters'
    | 'patientCounters'
    | 'extra';
  item: TransactItem;
  onConditionFailed?: () => Error;
};

const changeItems = (db: Db, change: ThreadChange): Labelled[] => {
  // The stored thread knows its newest message ids (what the next message and a safe treat compare with).
  const after = change.message ? recordMessage(change.after, change.message) : change.after;
  const items: (Labelled | null)[] = [
    change.requirePatientRecord
      ? {
          label: 'patientRecord',
          item: {
            ConditionCheck: {
              TableName: db.tableName,
              Key: keys.patientRecord(after.practitionerId, after.patientId),
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
        }
      : null,
    { label: 'thread', item: threadPut(db, change, after) },
    change.message
      ? {
          label: 'message',
          item: {
            Put: {
              TableName: db.tableName,
              Item: toMessageItem(change.message),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        }
      : null,
  ];
  // Read marks the change moved out of the thread item: each its own small item, written once.
  for (const mark of spilledByChange(change.before, after)) {
    items.push({
      label: 'readMark',
      item: {
        Put: {
          TableName: db.tableName,
          Item: {
            ...keys.patientReadMark(after.id, mark.at, mark.seq),
            entity: READ_MARK_ENTITY,
            schemaVersion: SCHEMA_VERSION,
            at: mark.at,
            seq: mark.seq,
            // Part of the thread's record: the same retention, counted from the read.
            expiresAt: medicalRecordExpiresAt(mark.at),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    });
  }
  const practitioner = counterUpdate(db, keys.practitionerCounters(after.practitionerId), {
    ...change.delta.practitioner,
  });
  const patient = counterUpdate(db, keys.patientCounters(after.patientId), { ...change.delta.patient });
  if (practitioner) items.push({ label: 'practitionerCounters', item: practitioner });
  if (patient) items.push({ label: 'patientCounters', item: patient });
  for (const extra of change.extraItems ?? []) {
    items.push({ label: 'extra', item: extra.item, onConditionFailed: extra.onConditionFailed });
  }
  return items.filter((i): i is Labelled => i !== null);
};

/**
 * Writes a thread transition, its message and its counter deltas atomically.
 * A counter whose floor condition fails (it drifted below what the change
 * removes) does not fail the change: it commits without that counter's delta,
 * marks the counters for the reconciler (shared/use-cases/counters.ts), which
 * recomputes them from the thread indexes, and counts a CounterFloorFailed.
 */
const commitWith = (db: Db, outbox?: Outbox) =>
  async function commit(change: ThreadChange): Promise<void> {
    const events = change.events ?? [];
    const writer = change.outbox ?? outbox;
    if (events.length > 0 && !writer) throw new Error('A thread change with events needs an outbox');
    const labelled = changeItems(db, {
      ...change,
      extraItems: [...(change.extraItems ?? []), ...(writer?.extraItems(events) ?? [])],
    });
    try {
      await db.client.send(new TransactWriteCommand({ TransactItems: labelled.map((l) => l.item) }));
    } catch (error) {
      const codes = cancellationCodes(error);
      if (!codes) throw error;
      const failed = (label: Labelled['label']) =>
        labelled.some((l, i) => l.label === label && codes[i] === 'ConditionalCheckFailed');
      if (failed('patientRecord')) throw new NotInPatientBase();
      const extra = labelled.find((l, i) => l.label === 'extra' && codes[i] === 'ConditionalCheckFailed');
      if (extra?.onConditionFailed) throw extra.onConditionFailed();
      // A read mark already written means another change moved it first: a lost race, like the version.
      if (failed('thread') || failed('readMark') || codes.includes('TransactionConflict')) {
        throw new OptimisticConflict();
      }
      const drifted = (['practitioner', 'patient'] as const).filter((side) => failed(`${side}Counters`));
      if (drifted.length === 0 || change.countersDrifted) throw error;
      await commit(withoutDrifted(db, change, drifted));
    }
  };

/** The items of one group-communication thread, thread first (createCommunicationThreads reads codes by position). */
const COMMUNICATION_ITEMS = 3;
const communicationThreadItems = (
  db: Db,
  entry: { thread: Thread; delta: CounterDelta; message: Message },
): TransactItem[] => {
  const patient = counterUpdate(db, keys.patientCounters(entry.thread.patientId), { ...entry.delta.patient });
  if (!patient) throw new Error('A group communication thread adds to the patient’s unread count');
  return [
    {
      Put: {
        TableName: db.tableName,
        Item: toThreadItem(recordMessage(entry.thread, entry.message)),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    // No condition of its own: a fresh id, in a thread that did not exist (the thread's condition).
    { Put: { TableName: db.tableName, Item: toMessageItem(entry.message) } },
    patient,
  ];
};

/**
 * Threads and messages. `outbox` turns a change's `events` into items of its
 * transaction (a change may bring its own: the invocation's, with its correlation id).
 */
export const createThreadRepository = (db: Db, outbox?: Outbox) => {
  const commit = commitWith(db, outbox);
  return {
    async getThread(threadId: string): Promise<Thread | null> {
      const { Item } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: keys.thread(threadId), ConsistentRead: true }),
      );
      return Item ? fromThreadItem(Item) : null;
    },

    /**
     * One page of a thread: its NEWEST `limit` messages (older ones with the
     * cursor), oldest first within the page, with the thread item. The first page
     * is one Query, newest first, on [MSG#, THREAD]: THREAD sorts after every
     * message, so the thread item comes first, then the newest messages. A later
     * page starts below the cursor's message: that Query and a GetItem of the
     * thread, in parallel. One item more than the page is asked for: it tells
     * whether older messages exist (`nextCursor` null otherwise).
     */
    /**
     * The message a page request starts before (null: the newest page). Validates the
     * cursor, so a forged one is refused (400) before anything is read or written.
     */
    pagePosition(threadId: string, cursor: string | undefined): string | null {
      const start = threadCursorKey(cursor, keys.threadPartition(threadId));
      return start ? messageIdOfSk(start.sk as string) : null;
    },

    /** A ConditionCheck that the thread exists and is this practitioner's (for writes beside a read). */
    ownedByPractitioner(threadId: string, practitionerId: string): TransactItem {
      return {
        ConditionCheck: {
          TableName: db.tableName,
          Key: keys.thread(threadId),
          ConditionExpression: '#practitioner = :practitioner',
          ExpressionAttributeNames: { '#practitioner': 'practitionerId' },
          ExpressionAttributeValues: { ':practitioner': practitionerId },
        },
      };
    },

    async getThreadPage(threadId: string, page: PageRequest): Promise<ThreadPage | null> {
      const pk = keys.threadPartition(threadId);
      const start = threadCursorKey(page.cursor, pk);
      let thread: Thread | null;
      let messageItems: Record<string, unknown>[];
      if (!start) {
        const [top, ...rest] = await queryThreadNewestFirst(db, pk, { want: page.limit + 2 });
        if (!top || top.sk !== THREAD_SK) return null;
        thread = fromThreadItem(top);
        messageItems = rest;
      } else {
        const [threadItem, older] = await Promise.all([
          this.getThread(threadId),
          queryThreadNewestFirst(db, pk, { want: page.limit + 1, start }),
        ]);
        thread = threadItem;
        messageItems = older;
      }
      if (!thread) return null;
      const newestFirst = messageItems.filter((i) => messageIdOfSk(i.sk) !== null);
      const onPage = newestFirst.slice(0, page.limit);
      const oldest = onPage.at(-1);
      return {
        thread,
        messages: onPage.reverse().map(fromMessageItem),
        nextCursor:
          newestFirst.length > page.limit && oldest
            ? encodeCursor({ pk: oldest.pk, sk: oldest.sk }, threadPageScope(pk))
            : null,
      };
    },

    /**
     * The ids of patient messages the practitioner has not seen, oldest first (the
     * newest MAX_UNSEEN_IDS at most): those after `afterId`, or the newest `count`
     * (the thread's unread count: they follow the last read, which a reply also is).
     * Newest first on the thread partition, patient messages kept by a filter.
     */
    async newestPatientMessageIds(
      threadId: string,
      bound: { afterId: string } | { count: number },
    ): Promise<string[]> {
      const max = 'count' in bound ? Math.min(bound.count, MAX_UNSEEN_IDS) : MAX_UNSEEN_IDS;
      const range = 'afterId' in bound ? threadPageRange.messagesFrom(bound.afterId) : threadPageRange.all;
      const ids: string[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      if (max <= 0) return ids;
      do {
        const result = await db.client.send(
          new QueryCommand({
            TableName: db.tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            FilterExpression: '#sender = :patient',
            ProjectionExpression: 'sk',
            ExpressionAttributeNames: { '#sender': 'sender' },
            ExpressionAttributeValues: {
              ':pk': keys.threadPartition(threadId),
              ':from': range.from,
              ':to': range.to,
              ':patient': 'patient',
            },
            ScanIndexForward: false,
            ConsistentRead: true,
            // Bounded reads: the unread ones are the newest messages (a reply is a read), +1 for the thread item.
            Limit: 'count' in bound ? max - ids.length + 1 : MAX_UNSEEN_IDS,
            ExclusiveStartKey,
          }),
        );
        for (const item of result.Items ?? []) {
          const id = messageIdOfSk(item.sk);
          if (id !== null && !('afterId' in bound && id === bound.afterId) && ids.length < max) ids.push(id);
        }
        ExclusiveStartKey = result.LastEvaluatedKey;
      } while (ExclusiveStartKey && ids.length < max);
      return ids.reverse();
    },

    /**
     * The spilled read marks `need` asks for (thread-rules.ts spilledMarksNeeded):
     * from `need.from` on, oldest first, until the first at or after `need.upTo`.
     * Bounded: about one mark per practitioner message of the page (between two
     * marks there is one), so `Limit` asks for that many and a rare clock oddity
     * only costs a further page. Marks are only ever added, so a mark moved out
     * after the thread was read shows up here or inline: the answer is the same.
     */
    async spilledReadMarks(threadId: string, need: SpilledMarksNeeded): Promise<SpilledMarks> {
      const range = patientReadMarkRange.from(need.from);
      const marks = await queryAll(
        db,
        {
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ProjectionExpression: '#at',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: {
            ':pk': keys.threadPartition(threadId),
            ':from': range.from,
            ':to': range.to,
          },
          ConsistentRead: true,
          Limit: need.messages + 1,
        },
        (item) => item.at as string,
        { until: (found) => (found.at(-1) ?? '') >= need.upTo },
      );
      return { need, marks };
    },

    async getMessage(threadId: string, messageId: string): Promise<Message | null> {
      const { Item } = await db.client.send(
        new GetCommand({
          TableName: db.tableName,
          Key: keys.message(threadId, messageId),
          ConsistentRead: true,
        }),
      );
      return Item ? fromMessageItem(Item) : null;
    },

    /**
     * Turns a message into a tombstone, in the thread change's transaction: the
     * body is REMOVEd (the text is gone from every view), the retraction is kept.
     * Conditioned on not being retracted yet; a failure means a concurrent retraction.
     */
    retractionItem(threadId: string, messageId: string, retractedAt: string): ExtraTransactItem {
      return {
        item: {
          Update: {
            TableName: db.tableName,
            Key: keys.message(threadId, messageId),
            UpdateExpression: 'SET retracted = :true, retractedAt = :at REMOVE body',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(retracted)',
            ExpressionAttributeValues: { ':true': true, ':at': retractedAt },
          },
        },
        onConditionFailed: () => new OptimisticConflict(),
        audit: { action: 'message.retracted', objects: { threadId, messageId } },
      };
    },

    commit,

    /**
     * Group communication threads, several patients in ONE transaction: for each,
     * the thread (Put if absent — its id is derived from the communication and
     * the patient, so it is its own exactly-once marker), its first message and
     * the patient's unread count. Nothing of the practitioner's. Each patient's
     * three items commit together or not at all; grouping patients only saves
     * requests (a transaction takes 100 items). A thread an earlier run wrote
     * cancels the transaction: it is answered 'exists' and the others are sent
     * again without it. A conflict on a patient's counters (their own activity)
     * throws OptimisticConflict: the caller retries.
     */
    async createCommunicationThreads(
      entries: ReadonlyArray<{ thread: Thread; delta: CounterDelta; message: Message }>,
    ): Promise<Map<string, 'created' | 'exists'>> {
      const outcome = new Map<string, 'created' | 'exists'>();
      let pending = [...entries];
      while (pending.length > 0) {
        const items = pending.flatMap((entry) => communicationThreadItems(db, entry));
        try {
          await db.client.send(new TransactWriteCommand({ TransactItems: items }));
          for (const entry of pending) outcome.set(entry.thread.id, 'created');
          return outcome;
        } catch (error) {
          const codes = cancellationCodes(error);
          if (!codes) throw error;
          if (codes.includes('TransactionConflict')) throw new OptimisticConflict();
          const exists = pending.filter(
            (_, i) => codes[i * COMMUNICATION_ITEMS] === 'ConditionalCheckFailed',
          );
          if (exists.length === 0) throw error;
          for (const entry of exists) outcome.set(entry.thread.id, 'exists');
          pending = pending.filter((entry) => !exists.includes(entry));
        }
      }
      return outcome;
    },

    /** The id of the thread's oldest message (a re-run of a group communication names what it sent). */
    async firstMessageId(threadId: string): Promise<string | null> {
      const { Items } = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
          ExpressionAttributeValues: { ':pk': keys.threadPartition(threadId), ':msg': MESSAGE_SK_PREFIX },
          ConsistentRead: true,
          Limit: 1,
        }),
      );
      return messageIdOfSk(Items?.[0]?.sk);
    },

    async listPractitionerThreads(
      practitionerId: string,
      filter: PractitionerInboxFilter,
      page: { limit: number; cursor?: string },
      /** Triage: the open threads of this assignee (null: unassigned) — one Query of gsi7. */
      assignee?: { id: string | null },
    ) {
      if (assignee) {
        const pk = inboxKeys.practitionerByAssignee(practitionerId, assignee.id);
        return queryThreads(db, 'gsi7', pk, page, assignedListEntry);
      }
      const index = {
        all: { name: 'gsi1', pk: inboxKeys.practitionerAll(practitionerId) },
        open: { name: 'gsi2', pk: inboxKeys.practitionerByStatus(practitionerId, 'open') },
        closed: { name: 'gsi2', pk: inboxKeys.practitionerByStatus(practitionerId, 'closed') },
        untreated: { name: 'gsi3', pk: inboxKeys.practitionerUntreated(practitionerId) },
      }[filter];
      return queryThreads(db, index.name, index.pk, page, practitionerListEntry);
    },

    /**
     * How many open threads are assigned to `assigneeId`: a COUNT Query of its gsi7
     * partition (keys read, nothing returned; 1 MB pages, so paged past ~8,000 entries).
     */
    countAssigned(practitionerId: string, assigneeId: string): Promise<number> {
      return queryCount(db, {
        IndexName: 'gsi7',
        KeyConditionExpression: 'gsi7pk = :pk',
        ExpressionAttributeValues: { ':pk': inboxKeys.practitionerByAssignee(practitionerId, assigneeId) },
      });
    },

    listPatientThreads(patientId: string, page: { limit: number; cursor?: string }) {
      return queryThreads(db, 'gsi4', inboxKeys.patientAll(patientId), page, patientListEntry);
    },
  };
};

export type ThreadRepository = ReturnType<typeof createThreadRepository>;

export interface ThreadPage {
  thread: Thread;
  /** Oldest first. */
  messages: Message[];
  /** Leads to the older messages; null when there are none. */
  nextCursor: string | null;
}

/** THREAD_CHANGED names at most this many newer messages (the newest ones). */
export const MAX_UNSEEN_IDS = 100;

const MESSAGE_SK = /^MSG#[A-Za-z0-9_-]{1,128}$/;

/**
 * The key a thread page starts after: a cursor of this thread's partition that
 * names one of its message keys, nothing else (a forged key outside the Query's
 * range, an oversized one or extra attributes would make DynamoDB answer a 500).
 */
const threadCursorKey = (cursor: string | undefined, pk: string): ItemKey | undefined => {
  const key = decodeCursor(cursor, threadPageScope(pk));
  if (!key) return undefined;
  const { sk } = key;
  if (sk && MESSAGE_SK.test(sk)) return { pk, sk };
  throw new ValidationError('Invalid cursor', [{ path: ['cursor'], message: 'Not a cursor of this thread' }]);
};

/** Thread pages are a list of their own: a cursor of another list never opens one. */
const threadPageScope = (pk: string) => ({
  partition: { attribute: 'pk', value: pk },
  skPrefix: MESSAGE_SK_PREFIX,
});

/**
 * Up to `want` items of a thread's partition in [MSG#, THREAD], newest first,
 * from the top or after `start`; strongly consistent. Follows LastEvaluatedKey
 * when the 1 MB limit of a Query cut it short (100 messages of 5,000 characters can).
 */
const queryThreadNewestFirst = (
  db: Db,
  pk: string,
  options: { want: number; start?: ItemKey },
): Promise<Record<string, unknown>[]> =>
  queryAll(
    db,
    {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': pk,
        ':from': threadPageRange.all.from,
        ':to': threadPageRange.all.to,
      },
      ScanIndexForward: false,
      ConsistentRead: true,
    },
    (item) => item,
    { want: options.want, start: options.start && { ...options.start } },
  );

const practitionerListEntry = listEntryReader<PractitionerThreadListEntry>(PRACTITIONER_LIST_FIELDS);
const assignedListEntry = listEntryReader<PractitionerThreadListEntry>(ASSIGNEE_LIST_FIELDS);
const patientListEntry = listEntryReader<PatientThreadListEntry>(PATIENT_LIST_FIELDS);

/** A page of an inbox index: its entries hold the projected attributes only, and are read as such. */
const queryThreads = <T>(
  db: Db,
  indexName: string,
  partition: string,
  page: PageRequest,
  entry: (item: Record<string, unknown>) => T,
): Promise<Page<T>> =>
  queryPage(
    db,
    { indexName, partition: { attribute: `${indexName}pk`, value: partition }, newestFirst: true },
    page,
    entry,
  );
