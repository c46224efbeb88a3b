/**
 * Every key of the single table is built here and nowhere else. Items carry
 * generic key attributes (pk/sk, gsiNpk/gsiNsk) so entities can share indexes.
 * The access patterns they serve are listed in docs/data-model.md.
 */
export interface ItemKey {
  pk: string;
  sk: string;
}

const practitionerPk = (practitionerId: string) => `PRAC#${practitionerId}`;
const patientPk = (patientId: string) => `PAT#${patientId}`;
const threadPk = (threadId: string) => `THREAD#${threadId}`;

export const THREAD_SK = 'THREAD';
export const MESSAGE_SK_PREFIX = 'MSG#';

/**
 * A thread's partition holds its THREAD item, its MSG#<ulid> items and the read
 * marks moved out of the thread item (after THREAD, below); THREAD sorts after
 * every MSG# ('T' > 'M'), so a newest-first Query from
 * the top of the range meets the thread item first, then the newest messages
 * (the thread view's first page, one round trip). An item kind added to this
 * partition must sort outside [MSG#, THREAD] or the pages would count it.
 */
export const threadPageRange = {
  /** Every message, and the thread item at the top. */
  all: { from: MESSAGE_SK_PREFIX, to: THREAD_SK },
  /** The messages after `messageId` (inclusive: the caller drops it), up to the last one. */
  messagesFrom: (messageId: string) => ({
    from: `${MESSAGE_SK_PREFIX}${messageId}`,
    to: `${MESSAGE_SK_PREFIX}\uffff`,
  }),
} as const;

/**
 * A patient read mark moved out of the thread item (bounded read receipts, ADR
 * 0007): `THREAD#READ#<at>#<seq>`. It sorts after THREAD (a longer key with the
 * same start), so outside [MSG#, THREAD]: pages never meet it. Ordered by time,
 * then by its place in the thread's list of marks (marks never decrease), so a
 * Query from `<at>` on reads the marks at or after a time, oldest first.
 */
export const PATIENT_READ_MARK_SK_PREFIX = `${THREAD_SK}#READ#`;

export const patientReadMarkRange = {
  /** Every spilled mark at or after `at` (an ISO time: fixed width, so string order is time order). */
  from: (at: string) => ({
    from: `${PATIENT_READ_MARK_SK_PREFIX}${at}`,
    to: `${PATIENT_READ_MARK_SK_PREFIX}\uffff`,
  }),
} as const;

/** A message sort key's id, or null when `sk` is not a message's. */
export const messageIdOfSk = (sk: unknown): string | null =>
  typeof sk === 'string' && sk.startsWith(MESSAGE_SK_PREFIX) ? sk.slice(MESSAGE_SK_PREFIX.length) : null;
export const PATIENT_RECORD_SK_PREFIX = 'PATIENT#';
export const PATIENT_RECORD_REF_SK_PREFIX = 'RECORD#';
export const PATIENT_EXPORT_SK_PREFIX = 'EXPORT#';
export const QUOTA_SK_PREFIX = 'QUOTA#';

export const keys = {
  practitionerSettings: (practitionerId: string): ItemKey => ({
    pk: practitionerPk(practitionerId),
    sk: 'SETTINGS',
  }),
  practitionerCounters: (practitionerId: string): ItemKey => ({
    pk: practitionerPk(practitionerId),
    sk: 'COUNTERS',
  }),
  patientRecord: (practitionerId: string, patientId: string): ItemKey => ({
    pk: practitionerPk(practitionerId),
    sk: `${PATIENT_RECORD_SK_PREFIX}${patientId}`,
  }),
  patientBasePartition: (practitionerId: string) => practitionerPk(practitionerId),
  patientCounters: (patientId: string): ItemKey => ({ pk: patientPk(patientId), sk: 'COUNTERS' }),
  /**
   * Quota counters (shared/repositories/quota-repository.ts), `QUOTA#<name>`: in the patient's partition
   * `OPEN#<practitionerId>` (requests open with them) and `DAY#<date>` (a Paris day's window, TTL); in the
   * practitioner's `<quota name>` (a count) and `DAY#<quota name>#<date>`.
   */
  patientQuota: (patientId: string, name: string): ItemKey => ({
    pk: patientPk(patientId),
    sk: `${QUOTA_SK_PREFIX}${name}`,
  }),
  practitionerQuota: (practitionerId: string, name: string): ItemKey => ({
    pk: practitionerPk(practitionerId),
    sk: `${QUOTA_SK_PREFIX}${name}`,
  }),
  /** A practitioner's email cap: DIGEST = the weekly untreated digest, INSTANT = `every_message` (15 min). */
  notificationSlot: (practitionerId: string, slot: 'DIGEST' | 'INSTANT'): ItemKey => ({
    pk: practitionerPk(practitionerId),
    sk: `NOTIFY#${slot}`,
  }),
  /**
   * The same cap for one delegate who asked for the practitioner's emails (ADR 0015):
   * one slot per (practitioner inbox, recipient), beside the practitioner's own.
   */
  delegateNotificationSlot: (
    practitionerId: string,
    slot: 'DIGEST' | 'INSTANT',
    assistantId: string,
  ): ItemKey => ({
    pk: practitionerPk(practitionerId),
    sk: `NOTIFY#${slot}#ASSISTANT#${assistantId}`,
  }),
  /**
   * The practitioner's entry in the digest sweep queue (gsi6, notificationQueueKeys):
   * a small item of its own so the thread transactions, which ADD to COUNTERS, never
   * rewrite an index entry. Present only while they are at or over their threshold.
   */
  digestDue: (practitionerId: string): ItemKey => ({ pk: practitionerPk(practitionerId), sk: DIGEST_DUE_SK }),
  /** Exactly-once marker of the patient's email about one practitioner message. */
  patientNotification: (patientId: string, messageId: string): ItemKey => ({
    pk: patientPk(patientId),
    sk: `NOTIFIED#${messageId}`,
  }),
  /**
   * The back-reference of a patient record, under the patient: `PAT#<pid> / RECORD#<pracId>`,
   * ids only, written in the record's own transaction. One Query lists every practitioner
   * holding a record of the patient (erasure, docs/adr/0013-gdpr-export-erasure.md): no Scan.
   */
  patientRecordRef: (patientId: string, practitionerId: string): ItemKey => ({
    pk: patientPk(patientId),
    sk: `${PATIENT_RECORD_REF_SK_PREFIX}${practitionerId}`,
  }),
  thread: (threadId: string): ItemKey => ({ pk: threadPk(threadId), sk: THREAD_SK }),
  threadPartition: (threadId: string) => threadPk(threadId),
  message: (threadId: string, messageId: string): ItemKey => ({
    pk: threadPk(threadId),
    sk: `${MESSAGE_SK_PREFIX}${messageId}`,
  }),
  /** The thread's `seq`-th patient read mark, moved out of the thread item (read with the thread's kind). */
  patientReadMark: (threadId: string, at: string, seq: number): ItemKey => ({
    pk: threadPk(threadId),
    sk: `${PATIENT_READ_MARK_SK_PREFIX}${at}#${String(seq).padStart(10, '0')}`,
  }),
  /** Under the practitioner's partition: someone else's appointment is simply not found. */
  appointment: (practitionerId: string, appointmentId: string): ItemKey => ({
    pk: practitionerPk(practitionerId),
    sk: `${APPOINTMENT_SK_PREFIX}${appointmentId}`,
  }),
  template: (practitionerId: string, templateId: string): ItemKey => ({
    pk: practitionerPk(practitionerId),
    sk: `${TEMPLATE_SK_PREFIX}${templateId}`,
  }),
  automation: (practitionerId: string, automationId: string): ItemKey => ({
    pk: practitionerPk(practitionerId),
    sk: `${AUTOMATION_SK_PREFIX}${automationId}`,
  }),
  /** Exactly-once marker of one automation for one appointment, written with its message. */
  automationRun: (practitionerId: string, automationId: string, appointmentId: string): ItemKey => ({
    pk: practitionerPk(practitionerId),
    sk: `AUTORUN#${automationId}#${appointmentId}`,
  }),
  /** A unit of deferred work (its own partition: due items never crowd a practitioner's). */
  dueWork: (workId: string): ItemKey => ({ pk: `DUE#${workId}`, sk: 'DUE' }),
  /** A group communication's state and counts (small: updated once per recipient). */
  communication: (practitionerId: string, communicationId: string): ItemKey => ({
    pk: practitionerPk(practitionerId),
    sk: `${COMMUNICATION_SK_PREFIX}${communicationId}`,
  }),
  /** Its text (a typed body or the template's, as it was when sent), read once per chunk. */
  communicationContent: (practitionerId: string, communicationId: string): ItemKey => ({
    pk: practitionerPk(practitionerId),
    sk: `COMMTEXT#${communicationId}`,
  }),
  /**
   * Exactly-once marker of one patient in one communication (sent or failed), in
   * the communication's own partition: the fan-out's writes never crowd the
   * practitioner's, and one Query lists a communication's recipients.
   */
  communicationRecipient: (communicationId: string, patientId: string): ItemKey => ({
    pk: `COMM#${communicationId}`,
    sk: `RCPT#${patientId}`,
  }),
  /**
   * One event waiting for the bus (the transactional outbox): written in the
   * transaction of the change that causes it, read from the table's stream by
   * the outbox publisher, expired by TTL. Its own partition per event id: the
   * outbox never concentrates writes on one key.
   */
  outboxEvent: (eventId: string): ItemKey => ({ pk: `${OUTBOX_PK_PREFIX}${eventId}`, sk: 'EVENT' }),
  /** A deferred (scheduled) message, under the practitioner: someone else's is simply not found. */
  scheduledMessage: (practitionerId: string, scheduledMessageId: string): ItemKey => ({
    pk: practitionerPk(practitionerId),
    sk: `${SCHEDULED_MESSAGE_SK_PREFIX}${scheduledMessageId}`,
  }),
  /**
   * The patient's verified notification address (ADR 0010): patient-owned, in a
   * partition of its own (no practitioner's key leads to it), written only from a
   * verified source — the patient's own token or the agenda — and read by the
   * patient notification. Erasure deletes it by this key.
   */
  patientContact: (patientId: string): ItemKey => ({ pk: `${CONTACT_PK_PREFIX}${patientId}`, sk: 'CONTACT' }),
  /**
   * An attachment (SPEC 11.3, docs/adr/0016-attachments.md): its own partition, found by its id alone
   * (the checker knows only the object key, which holds the id). Its owner, status and the message that
   * took it are attributes, and every use is conditioned on them.
   */
  attachment: (attachmentId: string): ItemKey => ({
    pk: `${ATTACHMENT_PK_PREFIX}${attachmentId}`,
    sk: ATTACHMENT_SK,
  }),
} as const;

export const ATTACHMENT_PK_PREFIX = 'ATTACH#';
export const ATTACHMENT_SK = 'ATTACHMENT';

/** The attachment id of an attachment item's key (what a stream record's `Keys` hold), or null for any other key. */
export const attachmentIdOfKey = (key: { pk?: unknown; sk?: unknown }): string | null =>
  typeof key.pk === 'string' &&
  key.pk.startsWith(ATTACHMENT_PK_PREFIX) &&
  key.pk.length > ATTACHMENT_PK_PREFIX.length &&
  key.sk === ATTACHMENT_SK
    ? key.pk.slice(ATTACHMENT_PK_PREFIX.length)
    : null;

export const CONTACT_PK_PREFIX = 'CONTACT#';

/**
 * Practice teams (SPEC 11.2, docs/adr/0015-practice-teams.md): a practitioner's
 * grant to an assistant, twice, written and deleted together in one transaction.
 *
 * - `DELEGATE#<practitionerId> / ASSISTANT#<assistantId>`: the grant itself
 *   (scopes, displayName, notify). Every practitioner route called with
 *   `On-Behalf-Of` reads it by key (one consistent GetItem), and one Query of the
 *   partition lists the practitioner's delegates. A partition of its own, not the
 *   practitioner's: the routes that check grants get `DELEGATE#*` and no more.
 * - `ASSISTANT#<assistantId> / PRAC#<practitionerId>`: its mirror, one Query lists
 *   whom an assistant works for (a mirror rather than an index: grants change
 *   rarely, so one more write per change beats an index on every item).
 */
export const DELEGATE_PK_PREFIX = 'DELEGATE#';
export const ASSISTANT_PK_PREFIX = 'ASSISTANT#';
export const ASSISTANT_CONTACT_PK_PREFIX = 'ASSISTANTCONTACT#';
export const delegateKeys = {
  grant: (practitionerId: string, assistantId: string): ItemKey => ({
    pk: `${DELEGATE_PK_PREFIX}${practitionerId}`,
    sk: `ASSISTANT#${assistantId}`,
  }),
  grantPartition: (practitionerId: string) => `${DELEGATE_PK_PREFIX}${practitionerId}`,
  mirror: (assistantId: string, practitionerId: string): ItemKey => ({
    pk: `${ASSISTANT_PK_PREFIX}${assistantId}`,
    sk: `PRAC#${practitionerId}`,
  }),
  mirrorPartition: (assistantId: string) => `${ASSISTANT_PK_PREFIX}${assistantId}`,
  /**
   * The assistant's verified notification address (ADR 0015, as ADR 0010 for patients):
   * the `email` of their own token when `email_verified`, recorded when they use the
   * service. A partition of its own: the mirrors' Query (`ASSISTANT#<id>`) never reads it.
   */
  contact: (assistantId: string): ItemKey => ({
    pk: `${ASSISTANT_CONTACT_PK_PREFIX}${assistantId}`,
    sk: 'CONTACT',
  }),
} as const;

/**
 * The items of a patient's personal-data requests (SPEC 11.6, ADR 0013), apart from
 * `keys` so that only the functions serving them bundle these builders.
 */
export const personalDataKeys = {
  /** The patient's own erasure (POST /v1/patient/erasure): when it happened, ids only. */
  erasure: (patientId: string): ItemKey => ({ pk: patientPk(patientId), sk: 'ERASURE' }),
  /** One export of the patient's data (POST /v1/patient/exports): status and object key, 7 days. */
  export: (patientId: string, exportId: string): ItemKey => ({
    pk: patientPk(patientId),
    sk: `${PATIENT_EXPORT_SK_PREFIX}${exportId}`,
  }),
  patientPartition: (patientId: string) => patientPk(patientId),
} as const;

export const COMMUNICATION_SK_PREFIX = 'COMM#';
export const OUTBOX_PK_PREFIX = 'OUTBOX#';
export const SCHEDULED_MESSAGE_SK_PREFIX = 'SCHEDMSG#';

/**
 * A practitioner's pending deferred messages on gsi5 (sparse: the keys are
 * removed when the message is sent, refused or cancelled), soonest first.
 * Sort key `<sendAt>#<scheduledMessageId>`.
 */
export const scheduledMessageKeys = {
  pendingPartition: (practitionerId: string) => `${practitionerPk(practitionerId)}#SCHEDULED`,
  index: (practitionerId: string, sendAt: string, scheduledMessageId: string) => ({
    gsi5pk: `${practitionerPk(practitionerId)}#SCHEDULED`,
    gsi5sk: `${sendAt}#${scheduledMessageId}`,
  }),
} as const;

export const APPOINTMENT_SK_PREFIX = 'APPT#';
export const TEMPLATE_SK_PREFIX = 'TEMPLATE#';
export const AUTOMATION_SK_PREFIX = 'AUTOMATION#';

/**
 * The due-work queue on gsi5 (sparse: only pending work carries these keys).
 * Writes are spread over DUE_WORK_SHARDS partitions by a hash of the work id;
 * the sweep queries each shard for `gsi5sk <= now`. Sort key `<dueAt>#<workId>`.
 * A shard is also the unit of parallel draining: at most one worker chain per
 * shard (docs/adr/0005-due-work-scale-out.md). Safe to RAISE at any deploy (an
 * item never changes shard, and the sweep reads every shard below the count);
 * never lower it before the dropped shards are empty (see the ADR).
 */
export const DUE_WORK_SHARDS = 16;

/** A stable shard number of an id (a 31-multiplier string hash). */
const shardOf = (id: string, shards = DUE_WORK_SHARDS): number => {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  return hash % shards;
};

export type CounterSubject = 'practitioner' | 'patient';

/**
 * Counters to recompute (shared/use-cases/counters.ts): a marker item per
 * counters item whose floor condition failed, in a few table partitions the
 * reconciler queries (no index: the marker is its own small item).
 */
export const RECONCILE_PK_PREFIX = 'RECONCILE#';
export const RECONCILE_SHARDS = 4;
export const counterReconcileKeys = {
  marker: (subject: CounterSubject, id: string): ItemKey => ({
    pk: `${RECONCILE_PK_PREFIX}${shardOf(id, RECONCILE_SHARDS)}`,
    sk: `${subject}#${id}`,
  }),
  shards: () => Array.from({ length: RECONCILE_SHARDS }, (_, n) => `${RECONCILE_PK_PREFIX}${n}`),
  subjectOf: (sk: string): { subject: CounterSubject; id: string } | null => {
    const [subject, ...rest] = sk.split('#');
    return subject === 'practitioner' || subject === 'patient' ? { subject, id: rest.join('#') } : null;
  },
} as const;

export const dueWorkKeys = {
  shardPartition: (shard: number) => `DUE#${shard}`,
  shards: () => Array.from({ length: DUE_WORK_SHARDS }, (_, shard) => `DUE#${shard}`),
  /** The shard numbers the sweep reads (0 … DUE_WORK_SHARDS − 1). */
  shardNumbers: () => Array.from({ length: DUE_WORK_SHARDS }, (_, shard) => shard),
  index: (workId: string, dueAt: string) => ({
    gsi5pk: `DUE#${shardOf(workId)}`,
    gsi5sk: `${dueAt}#${workId}`,
  }),
  /** Upper bound of a sweep at `now`: every sort key whose dueAt is at or before it. */
  dueUpTo: (now: string) => `${now}#\uffff`,
} as const;

/**
 * The notification sweep queues on gsi6 (KEYS_ONLY, sparse), sharded (ADR 0004):
 *
 * - DIGEST_DUE: a small item of its own, `PRAC#<id> / DIGEST_DUE`, present only
 *   while the practitioner is at or over their threshold, sort key
 *   `<eligibleAt>#<practitionerId>`. Written on crossing and when a digest moves
 *   eligibleAt, never by the thread transactions (which only ADD to COUNTERS).
 * - NOTIFY_PENDING: the keys on the practitioner's INSTANT slot while an
 *   `every_message` summary waits for its 15-minute window, sort key
 *   `<dueAt>#<practitionerId>`. Keys only: the slot's other writes (claims,
 *   confirmations, `pendingLatest`) leave the index alone.
 *
 * A sweep reads `gsi6sk <= now` on every shard, in parallel.
 *
 * DIGEST_DUE_SHARDS: issue 12 counts ~10k counter changes/s of over-threshold
 * practitioners at 100× France, against ~1k writes/s per index partition. An
 * entry is now written only on a crossing, and a crossing needs a counter change,
 * so even the worst case — every one of those changes a crossing (practitioners
 * hovering at their threshold) — is ~10k index writes/s: 16 shards keep each
 * partition at ≤ ~625 writes/s (2/3 of its limit, headroom for an uneven hash).
 * The price is 16 Queries per sweep (0.5 RCU each when empty), once an hour.
 * NOTIFY_PENDING_SHARDS: an entry appears, moves and goes at most once per
 * `every_message` practitioner per 15-minute window, each caused by a patient
 * message, so its rate is bounded by the same message rate: the same 16.
 */
export const DIGEST_DUE_SHARDS = 16;
export const NOTIFY_PENDING_SHARDS = 16;
/**
 * NOTIFY_CLAIM_SHARDS: every patient email claims, then confirms (2 index writes,
 * keys-only), at the rate practitioners write to patients — ~11k index writes/s
 * at 100× France peak by `npm run bench:heat`, more during a group communication:
 * 32 shards keep a partition near 350 writes/s (+ ~270 during a 10,000-patient
 * send). Costs 32 Queries per sweep (0.5 RCU each when empty).
 */
export const NOTIFY_CLAIM_SHARDS = 32;
/** The claims' gsi5 partitions before issue 12 (4 shards, ALL): the sweep still reads them until empty. */
const LEGACY_NOTIFY_CLAIM_SHARDS = 4;

export const DIGEST_DUE_SK = 'DIGEST_DUE';

export const notificationQueueKeys = {
  /** The digest-due entry's index keys (on its own item, keys.digestDue). */
  digestDue: (practitionerId: string, sortKey: string) => ({
    gsi6pk: `DIGEST_DUE#${shardOf(practitionerId, DIGEST_DUE_SHARDS)}`,
    gsi6sk: sortKey,
  }),
  digestDueShards: () => Array.from({ length: DIGEST_DUE_SHARDS }, (_, n) => `DIGEST_DUE#${n}`),
  /** The pending-summary index keys (on the INSTANT slot). */
  pendingSummary: (practitionerId: string, dueAt: string) => ({
    gsi6pk: `NOTIFY_PENDING#${shardOf(practitionerId, NOTIFY_PENDING_SHARDS)}`,
    gsi6sk: `${dueAt}#${practitionerId}`,
  }),
  pendingSummaryShards: () => Array.from({ length: NOTIFY_PENDING_SHARDS }, (_, n) => `NOTIFY_PENDING#${n}`),
  /**
   * The queues before issue 12: one gsi5 (ALL) partition each, DIGEST_DUE on the
   * COUNTERS item and NOTIFY_PENDING on the INSTANT slot. The sweep drains what a
   * deployed table still holds there into the new queues (data-model.md).
   */
  legacy: { digestDue: 'DIGEST_DUE', pendingSummary: 'NOTIFY_PENDING' },
  /**
   * Patient-email claims while they hold (sparse gsi6, keys-only, on the claim item): the sweep
   * finds the ones whose lease ended unconfirmed (sort key `<leaseUntil>#<messageId>`).
   * Sharded by patient so concurrent claims spread over NOTIFY_CLAIM_SHARDS partitions.
   */
  patientClaims: (patientId: string) => `NOTIFY_CLAIMS#${shardOf(patientId, NOTIFY_CLAIM_SHARDS)}`,
  patientClaimShards: () => Array.from({ length: NOTIFY_CLAIM_SHARDS }, (_, n) => `NOTIFY_CLAIMS#${n}`),
  legacyPatientClaimShards: () =>
    Array.from({ length: LEGACY_NOTIFY_CLAIM_SHARDS }, (_, n) => `NOTIFY_CLAIMS#${n}`),
  upTo: (now: string) => `${now}#\uffff`,
  /** The practitioner id back from a `PRAC#<id>` partition key. */
  practitionerIdOf: (pk: string): string | null => (pk.startsWith('PRAC#') ? pk.slice('PRAC#'.length) : null),
} as const;

/** Newest-activity-first sort key shared by every inbox index; the id breaks ties. */
export const activitySortKey = (lastMessageAt: string, threadId: string) => `${lastMessageAt}#${threadId}`;

export type PractitionerInboxFilter = 'all' | 'open' | 'closed' | 'untreated';

/** Partition keys of the inbox indexes (see table-definition.ts for the index names). */
export const inboxKeys = {
  practitionerAll: (practitionerId: string) => `${practitionerPk(practitionerId)}#THREADS`,
  practitionerByStatus: (practitionerId: string, status: 'open' | 'closed') =>
    `${practitionerPk(practitionerId)}#${status.toUpperCase()}`,
  practitionerUntreated: (practitionerId: string) => `${practitionerPk(practitionerId)}#UNTREATED`,
  /** The open threads of an assignee (the practitioner or a delegate), or the unassigned ones (null). */
  practitionerByAssignee: (practitionerId: string, assigneeId: string | null) =>
    `${practitionerPk(practitionerId)}#ASSIGNEE#${assigneeId === null ? 'NONE' : `ID#${assigneeId}`}`,
  patientAll: (patientId: string) => `${patientPk(patientId)}#THREADS`,
} as const;

/**
 * The reopening queue on gsi5 (sparse): the practitioner's SETTINGS item carries
 * these keys only while their messaging is closed with a reopening date, so the
 * `inbox-reopen` sweep reads `gsi5sk <= now` and finds exactly the due closures.
 * Sort key `<reopensAt>#<practitionerId>`. One partition: it is written only
 * when a practitioner closes or reopens, and read every few minutes.
 */
export const inboxReopenKeys = {
  partition: 'INBOX_REOPEN',
  index: (practitionerId: string, reopensAt: string) => ({
    gsi5pk: 'INBOX_REOPEN',
    gsi5sk: `${reopensAt}#${practitionerId}`,
  }),
  /** Every sort key whose reopensAt is at or before `now`. */
  dueUpTo: (now: string) => `${now}#\uffff`,
} as const;

/**
 * The audit trail (shared/domain/audit.ts): append-only items in their own
 * partitions, one per subject, so writing them never crowds the thread's or the
 * practitioner's partition and one Query reads a subject's trail in order.
 * Sort key `<at>#<ulid>`: chronological, unique even within one millisecond.
 */
export const AUDIT_PK_PREFIX = 'AUDIT#';

export const auditKeys = {
  threadPartition: (threadId: string) => `${AUDIT_PK_PREFIX}THREAD#${threadId}`,
  practitionerPartition: (practitionerId: string) => `${AUDIT_PK_PREFIX}PRAC#${practitionerId}`,
  patientPartition: (patientId: string) => `${AUDIT_PK_PREFIX}PAT#${patientId}`,
  entry: (partition: string, at: string, entryId: string): ItemKey => ({
    pk: partition,
    sk: `${at}#${entryId}`,
  }),
  /**
   * The head of a subject's shipped chain (docs/adr/0012-audit-object-lock.md): the
   * last sequence number given out and its hash, updated only on its own `seq`
   * (so two shippers cannot both extend it). Its own prefix, outside `AUDIT#*`:
   * the functions that append entries can never touch it, the shipper never an entry.
   */
  head: (subject: string): ItemKey => ({ pk: `${AUDIT_HEAD_PK_PREFIX}${subject}`, sk: 'HEAD' }),
} as const;

export const AUDIT_HEAD_PK_PREFIX = 'AUDITHEAD#';

/**
 * A WebSocket connection of one user (SPEC 11.4, docs/adr/0017-realtime-and-stats.md):
 * `CONN#<role>#<userId> / <connectionId>`, with a TTL. Every connection of a user is in
 * one partition, so the fan-out of a notification to that user is one Query.
 */
export const CONNECTION_PK_PREFIX = 'CONN#';

/** Who holds connections: the two parties of a thread, and assistants working a practice's inbox (ADR 0015). */
export type ConnectionHolder = 'practitioner' | 'patient' | 'assistant';

export const connectionKeys = {
  partition: (role: ConnectionHolder, userId: string) => `${CONNECTION_PK_PREFIX}${role}#${userId}`,
  connection: (role: ConnectionHolder, userId: string, connectionId: string): ItemKey => ({
    pk: `${CONNECTION_PK_PREFIX}${role}#${userId}`,
    sk: connectionId,
  }),
} as const;

/**
 * Time-to-treat statistics (SPEC 11.5, ADR 0017), in a partition of their own per practitioner so the
 * thread transactions never touch it: `STATS#<pracId> / DAY#<YYYY-MM-DD>` (one day's aggregates; a range
 * of days is one Query) and `STATS#<pracId> / THREAD#<threadId>` (what the statistics know of a thread:
 * its received message times and treat times, the set a replayed event is checked against).
 */
export const STATS_PK_PREFIX = 'STATS#';
export const statsKeys = {
  partition: (practitionerId: string) => `${STATS_PK_PREFIX}${practitionerId}`,
  day: (practitionerId: string, day: string): ItemKey => ({
    pk: `${STATS_PK_PREFIX}${practitionerId}`,
    sk: `DAY#${day}`,
  }),
  thread: (practitionerId: string, threadId: string): ItemKey => ({
    pk: `${STATS_PK_PREFIX}${practitionerId}`,
    sk: `THREAD#${threadId}`,
  }),
  dayRange: (from: string, to: string) => ({ from: `DAY#${from}`, to: `DAY#${to}` }),
} as const;

/**
 * Every kind of item the table holds, with the partition prefix it lives under.
 * Function declarations (functions/<name>/function.ts) state the kinds they read
 * and write; the IAM grants allow exactly those partitions (`dynamodb:LeadingKeys`),
 * and the local stack also checks the kinds themselves.
 */
export const ITEM_KINDS = {
  settings: 'PRAC#',
  practitionerCounters: 'PRAC#',
  patientRecord: 'PRAC#',
  notificationSlot: 'PRAC#',
  digestDue: 'PRAC#',
  appointment: 'PRAC#',
  template: 'PRAC#',
  automation: 'PRAC#',
  automationRun: 'PRAC#',
  communication: 'PRAC#',
  communicationContent: 'PRAC#',
  scheduledMessage: 'PRAC#',
  patientCounters: 'PAT#',
  patientQuota: 'PAT#',
  practitionerQuota: 'PRAC#',
  patientNotification: 'PAT#',
  patientRecordRef: 'PAT#',
  patientErasure: 'PAT#',
  patientExport: 'PAT#',
  thread: 'THREAD#',
  message: 'THREAD#',
  dueWork: 'DUE#',
  communicationRecipient: 'COMM#',
  audit: AUDIT_PK_PREFIX,
  auditHead: 'AUDITHEAD#',
  outboxEvent: OUTBOX_PK_PREFIX,
  counterReconcile: 'RECONCILE#',
  patientContact: CONTACT_PK_PREFIX,
  delegateGrant: DELEGATE_PK_PREFIX,
  assistantGrant: ASSISTANT_PK_PREFIX,
  connection: CONNECTION_PK_PREFIX,
  practitionerStats: STATS_PK_PREFIX,
  attachment: ATTACHMENT_PK_PREFIX,
  assistantContact: ASSISTANT_CONTACT_PK_PREFIX,
} as const;

export type ItemKind = keyof typeof ITEM_KINDS;

/** Sort-key prefixes of the kinds that share the `PRAC#` and `PAT#` partitions. */
const KIND_BY_SORT_KEY: ReadonlyArray<readonly [partition: string, sortKey: string, kind: ItemKind]> = [
  ['PRAC#', 'SETTINGS', 'settings'],
  ['PRAC#', 'COUNTERS', 'practitionerCounters'],
  ['PRAC#', PATIENT_RECORD_SK_PREFIX, 'patientRecord'],
  ['PRAC#', 'NOTIFY#', 'notificationSlot'],
  ['PRAC#', DIGEST_DUE_SK, 'digestDue'],
  ['PRAC#', APPOINTMENT_SK_PREFIX, 'appointment'],
  ['PRAC#', TEMPLATE_SK_PREFIX, 'template'],
  ['PRAC#', AUTOMATION_SK_PREFIX, 'automation'],
  ['PRAC#', 'AUTORUN#', 'automationRun'],
  ['PRAC#', COMMUNICATION_SK_PREFIX, 'communication'],
  ['PRAC#', 'COMMTEXT#', 'communicationContent'],
  ['PRAC#', SCHEDULED_MESSAGE_SK_PREFIX, 'scheduledMessage'],
  ['PAT#', 'COUNTERS', 'patientCounters'],
  ['PAT#', QUOTA_SK_PREFIX, 'patientQuota'],
  ['PRAC#', QUOTA_SK_PREFIX, 'practitionerQuota'],
  ['PAT#', 'NOTIFIED#', 'patientNotification'],
  ['PAT#', PATIENT_RECORD_REF_SK_PREFIX, 'patientRecordRef'],
  ['PAT#', 'ERASURE', 'patientErasure'],
  ['PAT#', PATIENT_EXPORT_SK_PREFIX, 'patientExport'],
  // A spilled read mark is part of the thread's state: same kind, same functions (it also starts with THREAD).
  ['THREAD#', PATIENT_READ_MARK_SK_PREFIX, 'thread'],
  ['THREAD#', THREAD_SK, 'thread'],
  ['THREAD#', MESSAGE_SK_PREFIX, 'message'],
];

/** The kind of the item at this key (undefined for a key no builder here makes). */
export const itemKindOf = (key: { pk?: unknown; sk?: unknown }): ItemKind | undefined => {
  const pk = typeof key.pk === 'string' ? key.pk : '';
  const sk = typeof key.sk === 'string' ? key.sk : '';
  if (pk.startsWith(AUDIT_PK_PREFIX)) return 'audit';
  if (pk.startsWith(AUDIT_HEAD_PK_PREFIX)) return 'auditHead';
  if (pk.startsWith('DUE#')) return 'dueWork';
  if (pk.startsWith('COMM#')) return 'communicationRecipient';
  if (pk.startsWith(OUTBOX_PK_PREFIX)) return 'outboxEvent';
  if (pk.startsWith('RECONCILE#')) return 'counterReconcile';
  if (pk.startsWith(CONTACT_PK_PREFIX)) return 'patientContact';
  if (pk.startsWith(DELEGATE_PK_PREFIX)) return 'delegateGrant';
  if (pk.startsWith(ASSISTANT_PK_PREFIX)) return 'assistantGrant';
  if (pk.startsWith(CONNECTION_PK_PREFIX)) return 'connection';
  if (pk.startsWith(STATS_PK_PREFIX)) return 'practitionerStats';
  if (pk.startsWith(ATTACHMENT_PK_PREFIX)) return 'attachment';
  if (pk.startsWith(ASSISTANT_CONTACT_PK_PREFIX)) return 'assistantContact';
  return KIND_BY_SORT_KEY.find(
    ([partition, prefix]) => pk.startsWith(partition) && sk.startsWith(prefix),
  )?.[2];
};
