import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { batchGet, batchGetId } from '../db/batch-get.ts';
import type { Db } from '../db/client.ts';
import { type ItemKey, keys, notificationQueueKeys } from '../db/keys.ts';
import {
  cancellationCodes,
  isConditionalCheckFailed,
  type TransactItem,
  writeWith,
} from '../db/transactions.ts';
import {
  CLAIM_LEASE_MS,
  DEFAULT_NOTIFICATIONS,
  type DigestState,
  desiredDigestIndex,
  digestIndexSortKey,
  NEVER_SENT,
  NOTIFICATION_MODES,
  type NotificationMode,
  type NotificationSettings,
  shiftIso,
} from '../domain/notifications.ts';

/**
 * Notification state in the table (docs/data-model.md, "Notifications"):
 *
 * - On the practitioner's COUNTERS item, next to `untreatedMessages`: mirrors of
 *   the notification mode and threshold (written in the same transaction as the
 *   settings) and `digestEligibleAt`. No index key: the thread transactions ADD
 *   to this item, and an index key on it would be rewritten by every one of them.
 * - `PRAC#id / DIGEST_DUE`: the sweep-queue entry (sharded gsi6, keys only),
 *   present only while they are at or over the threshold. It appears and goes in a
 *   transaction with a ConditionCheck on the live counter, so it cannot disagree
 *   with it for long; otherwise it moves only when a digest moves eligibleAt.
 * - Claim slots: `PRAC#id / NOTIFY#DIGEST` (the weekly cap), `PRAC#id /
 *   NOTIFY#INSTANT` (every_message, 15 minutes; also the NOTIFY_PENDING queue) and
 *   `PAT#id / NOTIFIED#<messageId>` (one email per practitioner message).
 */

/** Attribute names of the notification settings, flat on the settings item and mirrored on the counters item. */
export const NOTIFY_ATTRIBUTES = {
  mode: 'notifyMode',
  threshold: 'notifyThreshold',
  email: 'notifyEmail',
} as const satisfies Record<keyof NotificationSettings, string>;

const SCHEMA_VERSION = 1;
/** Enough for a burst of events of one practitioner all racing on the crossing (jittered back-off). */
const MAX_RECONCILE_ATTEMPTS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** TTL of a patient email marker: long after any redelivery (24 h retries, 14-day DLQ redrive). */
const PATIENT_MARKER_TTL_SECONDS = 90 * 24 * 3600;

/**
 * "At or over the threshold in threshold mode", as a condition on the counters
 * item. Missing mirrors mean the defaults (threshold mode, threshold 4).
 */
const DUE_CONDITION =
  '(attribute_not_exists(#mode) OR #mode = :thresholdMode) AND ' +
  '((attribute_not_exists(#threshold) AND #untreated >= :defaultThreshold) OR #untreated >= #threshold)';
const DUE_NAMES = {
  '#mode': 'notifyMode',
  '#threshold': 'notifyThreshold',
  '#untreated': 'untreatedMessages',
};
const DUE_VALUES = {
  ':thresholdMode': 'threshold',
  ':defaultThreshold': DEFAULT_NOTIFICATIONS.threshold,
};

const number = (value: unknown, fallback: number): number => (typeof value === 'number' ? value : fallback);
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export const digestStateOf = (item: Record<string, unknown> | undefined): DigestState => ({
  untreatedMessages: number(item?.untreatedMessages, 0),
  mode: NOTIFICATION_MODES.includes(item?.notifyMode as NotificationMode)
    ? (item?.notifyMode as NotificationMode)
    : DEFAULT_NOTIFICATIONS.mode,
  threshold: number(item?.notifyThreshold, DEFAULT_NOTIFICATIONS.threshold),
  eligibleAt: text(item?.digestEligibleAt),
});

/** The sweep-queue entry's sort key, or null when the practitioner has no DIGEST_DUE item. */
export const digestEntryOf = (item: Record<string, unknown> | undefined): string | null =>
  item ? text(item.gsi6sk) : null;

/** Which notification queue: the weekly digest's, or the every_message summaries'. */
export type NotificationQueue = 'digestDue' | 'pendingSummary';

const queueShards = (queue: NotificationQueue): string[] =>
  queue === 'digestDue'
    ? notificationQueueKeys.digestDueShards()
    : notificationQueueKeys.pendingSummaryShards();

/**
 * Which claim slot: the weekly digest, the 15-minute instant email, or one patient email.
 * With `assistantId`: the same cap of the practitioner's inbox for that delegate (ADR 0015).
 */
export type NotificationSlot =
  | { kind: 'digest'; practitionerId: string; assistantId?: string }
  | { kind: 'instant'; practitionerId: string; assistantId?: string }
  | { kind: 'patient'; patientId: string; messageId: string };

const slotKey = (slot: NotificationSlot): ItemKey => {
  switch (slot.kind) {
    case 'digest':
    case 'instant': {
      const which = slot.kind === 'digest' ? 'DIGEST' : 'INSTANT';
      return slot.assistantId
        ? keys.delegateNotificationSlot(slot.practitionerId, which, slot.assistantId)
        : keys.notificationSlot(slot.practitionerId, which);
    }
    case 'patient':
      return keys.patientNotification(slot.patientId, slot.messageId);
  }
};

export interface SlotState {
  lastSentAt: string | null;
  /** Set while a claim holds (its lease has not ended): an email is being sent by someone else. */
  claimedAt: string | null;
  sesMessageId: string | null;
  /** The latest moment already covered by an email: max(lastSentAt, a holding claim's claimedAt). */
  coveredUntil: string | null;
  pendingLatest: string | null;
}

/** The slot as of `now`: a claim whose lease ended no longer counts (its email may never have left). */
const slotStateOf = (item: Record<string, unknown> | undefined, now: string): SlotState => {
  const lastSentAt = text(item?.lastSentAt);
  const leaseUntil = text(item?.leaseUntil);
  const claimedAt = leaseUntil !== null && leaseUntil > now ? text(item?.claimedAt) : null;
  const covered = [lastSentAt, claimedAt].filter((v): v is string => v !== null).sort();
  return {
    lastSentAt,
    claimedAt,
    sesMessageId: text(item?.sesMessageId),
    coveredUntil: covered.at(-1) ?? null,
    pendingLatest: text(item?.pendingLatest),
  };
};

/** A patient-email claim whose lease ended unconfirmed: what the sweep needs to send it again. */
export interface ExpiredPatientClaim {
  patientId: string;
  messageId: string;
  practitionerId: string;
  threadId: string;
  leaseUntil: string;
}

export interface QueueEntry {
  practitionerId: string;
  sortKey: string;
}

export interface QueuePage {
  entries: QueueEntry[];
  /** Items the Query returned (what the sweep pays for). */
  itemsRead: number;
  next: Record<string, unknown> | undefined;
}

/** Queue entries from index items (keys-only or projected): the practitioner id is in the table key. */
const toQueuePage = (
  items: Record<string, unknown>[],
  sortKeyAttribute: 'gsi5sk' | 'gsi6sk',
  next: Record<string, unknown> | undefined,
): QueuePage => ({
  entries: items.flatMap((item) => {
    const practitionerId = notificationQueueKeys.practitionerIdOf(String(item.pk));
    return practitionerId ? [{ practitionerId, sortKey: String(item[sortKeyAttribute]) }] : [];
  }),
  itemsRead: items.length,
  next,
});

const entity = (slot: NotificationSlot) =>
  slot.kind === 'patient' ? 'PatientNotification' : 'PractitionerNotificationSlot';

/** A patient claim's queue keys, removed when it ends (gsi5: a claim taken before issue 12). */
const CLAIM_INDEX_KEYS = ', gsi6pk, gsi6sk, gsi5pk, gsi5sk';

export const createNotificationRepository = (db: Db) => {
  const update = (input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>) =>
    db.client.send(new UpdateCommand({ TableName: db.tableName, ...input }));

  /** Runs a conditional update (with `withItems` in its transaction); false when its condition did not hold. */
  const conditional = async (
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>,
    withItems: readonly TransactItem[] = [],
  ) => {
    try {
      if (withItems.length === 0) await update(input);
      else
        await writeWith(
          db,
          { Update: { TableName: db.tableName, ...input } as NonNullable<TransactItem['Update']> },
          withItems,
        );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  };

  const readCounters = async (practitionerId: string) =>
    (
      await db.client.send(
        new GetCommand({
          TableName: db.tableName,
          Key: keys.practitionerCounters(practitionerId),
          ConsistentRead: true,
        }),
      )
    ).Item;

  return {
    /** The live counter and the notification mirrors, read consistently from the counters item. */
    async digestState(practitionerId: string): Promise<DigestState> {
      return digestStateOf(await readCounters(practitionerId));
    },

    /**
     * Makes the DIGEST_DUE entry agree with the live counter and threshold: read the
     * counters and the entry (one consistent BatchGetItem), decide, and only when the
     * entry must appear, go or move, write it in a transaction with a ConditionCheck on
     * the counters item — the live counter against the mirrored threshold, and an
     * unchanged `digestEligibleAt` — so a counter change in between cancels it and it
     * is decided again. The counters item itself is never written here.
     */
    async reconcileDigestIndex(
      practitionerId: string,
    ): Promise<{ change: 'indexed' | 'removed' | 'unchanged'; state: DigestState }> {
      const countersKey = keys.practitionerCounters(practitionerId);
      const entryKey = keys.digestDue(practitionerId);
      for (let attempt = 1; attempt <= MAX_RECONCILE_ATTEMPTS; attempt++) {
        const found = await batchGet(db, [countersKey, entryKey], { consistent: true });
        const state = digestStateOf(found.get(batchGetId(countersKey)));
        const current = digestEntryOf(found.get(batchGetId(entryKey)));
        const desired = desiredDigestIndex(state, practitionerId);
        if (desired === current) return { change: 'unchanged', state };
        const check: TransactItem = {
          ConditionCheck: {
            TableName: db.tableName,
            Key: countersKey,
            ConditionExpression: desired
              ? `${DUE_CONDITION} AND ${
                  state.eligibleAt === null
                    ? 'attribute_not_exists(digestEligibleAt)'
                    : 'digestEligibleAt = :eligibleAt'
                }`
              : `NOT (${DUE_CONDITION})`,
            ExpressionAttributeNames: DUE_NAMES,
            ExpressionAttributeValues: {
              ...DUE_VALUES,
              ...(desired && state.eligibleAt !== null && { ':eligibleAt': state.eligibleAt }),
            },
          },
        };
        const entryWrite: TransactItem = desired
          ? {
              Put: {
                TableName: db.tableName,
                Item: {
                  ...entryKey,
                  ...notificationQueueKeys.digestDue(practitionerId, desired),
                  entity: 'DigestDueEntry',
                  schemaVersion: SCHEMA_VERSION,
                  practitionerId,
                  eligibleAt: state.eligibleAt ?? NEVER_SENT,
                },
              },
            }
          : { Delete: { TableName: db.tableName, Key: entryKey } };
        try {
          await db.client.send(new TransactWriteCommand({ TransactItems: [check, entryWrite] }));
          return { change: desired ? 'indexed' : 'removed', state };
        } catch (error) {
          const codes = cancellationCodes(error);
          // The counter (or eligibleAt) moved, or another writer holds the item: decide again.
          if (!codes?.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict'))
            throw error;
          await sleep(Math.random() * Math.min(200, 5 * 2 ** Math.min(attempt, 6)));
        }
      }
      throw new Error(`Could not reconcile the digest index after ${MAX_RECONCILE_ATTEMPTS} attempts`);
    },

    /**
     * After a digest (or when a stale entry is found), the next one may go at
     * `eligibleAt`: recorded on the counters item, then the entry (if present) moves
     * its sort key there, so sweeps before that date do not read it. Both only ever
     * move forward. In that order: a reconcile writing the entry in between is
     * conditioned on `digestEligibleAt`, so it either wrote before the first step
     * (and the second moves it) or writes the new date itself. The second step runs
     * even when the first finds the date already recorded: a sender that died
     * between the two left the entry behind, and this catches it up.
     */
    async advanceDigestEligibility(practitionerId: string, eligibleAt: string): Promise<boolean> {
      const recorded = await conditional({
        Key: keys.practitionerCounters(practitionerId),
        UpdateExpression: 'SET digestEligibleAt = :eligibleAt',
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(digestEligibleAt) OR digestEligibleAt < :eligibleAt)',
        ExpressionAttributeValues: { ':eligibleAt': eligibleAt },
      });
      await conditional({
        Key: keys.digestDue(practitionerId),
        UpdateExpression: 'SET eligibleAt = :eligibleAt, gsi6sk = :sk',
        ConditionExpression: 'attribute_exists(pk) AND eligibleAt < :eligibleAt',
        ExpressionAttributeValues: {
          ':eligibleAt': eligibleAt,
          ':sk': digestIndexSortKey(eligibleAt, practitionerId),
        },
      });
      return recorded;
    },

    /** The partitions of a queue: the sweep reads them all, in parallel. */
    queueShards,

    /** One page of one shard of a notification queue, entries due at or before `now`, oldest first. */
    async queryDue(
      queue: NotificationQueue,
      now: string,
      options: { shard: string; limit?: number; startKey?: Record<string, unknown> },
    ): Promise<QueuePage> {
      if (!queueShards(queue).includes(options.shard))
        throw new Error(`${options.shard} is not a shard of the ${queue} queue`);
      const page = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          IndexName: 'gsi6',
          KeyConditionExpression: 'gsi6pk = :queue AND gsi6sk <= :upTo',
          ExpressionAttributeValues: { ':queue': options.shard, ':upTo': notificationQueueKeys.upTo(now) },
          Limit: options.limit ?? 100,
          ExclusiveStartKey: options.startKey,
        }),
      );
      return toQueuePage(page.Items ?? [], 'gsi6sk', page.LastEvaluatedKey);
    },

    /**
     * One page of a queue as it was before issue 12 (one gsi5 partition, on the
     * COUNTERS item or the INSTANT slot), all of it — not only what is due — so the
     * sweep can move every leftover entry to the new queue. Empty once drained.
     */
    async queryLegacy(
      queue: NotificationQueue,
      options: { limit?: number; startKey?: Record<string, unknown> } = {},
    ): Promise<QueuePage> {
      const page = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          IndexName: 'gsi5',
          KeyConditionExpression: 'gsi5pk = :queue',
          ExpressionAttributeValues: { ':queue': notificationQueueKeys.legacy[queue] },
          ProjectionExpression: 'pk, sk, gsi5pk, gsi5sk',
          Limit: options.limit ?? 100,
          ExclusiveStartKey: options.startKey,
        }),
      );
      return toQueuePage(page.Items ?? [], 'gsi5sk', page.LastEvaluatedKey);
    },

    /**
     * Retires a legacy DIGEST_DUE entry: its keys leave the COUNTERS item (only if
     * they are still the legacy queue's). Call after reconcileDigestIndex, which
     * writes the new entry when one is due, so the practitioner is never in neither.
     */
    async retireLegacyDigestEntry(practitionerId: string): Promise<boolean> {
      return conditional({
        Key: keys.practitionerCounters(practitionerId),
        UpdateExpression: 'REMOVE gsi5pk, gsi5sk',
        ConditionExpression: 'gsi5pk = :legacy',
        ExpressionAttributeValues: { ':legacy': notificationQueueKeys.legacy.digestDue },
      });
    },

    /** Moves a legacy NOTIFY_PENDING entry (on the INSTANT slot) to the gsi6 queue, same due time, in one write. */
    async migrateLegacyPendingSummary(practitionerId: string, sortKey: string): Promise<boolean> {
      const keysNow = notificationQueueKeys.pendingSummary(practitionerId, sortKey.split('#')[0] as string);
      return conditional({
        Key: keys.notificationSlot(practitionerId, 'INSTANT'),
        UpdateExpression: 'SET gsi6pk = :queue, gsi6sk = :sk REMOVE gsi5pk, gsi5sk',
        ConditionExpression: 'gsi5pk = :legacy AND gsi5sk = :sk',
        ExpressionAttributeValues: {
          ':queue': keysNow.gsi6pk,
          ':sk': sortKey,
          ':legacy': notificationQueueKeys.legacy.pendingSummary,
        },
      });
    },

    async slot(slot: NotificationSlot, now: string): Promise<SlotState> {
      const { Item } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: slotKey(slot), ConsistentRead: true }),
      );
      return slotStateOf(Item, now);
    },

    /**
     * Claims the right to send, before sending, for CLAIM_LEASE_MS: succeeds only
     * if nothing was sent after `notSentAfter` (null: ever) and no claim holds.
     * Confirm or release removes the claim; one left behind by a process that died
     * between the claim and SES is taken over once its lease has ended (`tookOver`):
     * the email is delayed, never lost. A patient-email claim is also indexed by
     * its lease end (`recovery`), so the sweep finds it if nobody retries it.
     */
    async claim(
      slot: NotificationSlot,
      claim: {
        claimId: string;
        now: string;
        notSentAfter: string | null;
        /** Patient emails: what a later sweep needs to send it again. */
        recovery?: { practitionerId: string; threadId: string };
      },
    ): Promise<{ claimed: boolean; tookOver: boolean }> {
      const leaseUntil = shiftIso(claim.now, CLAIM_LEASE_MS);
      const window =
        claim.notSentAfter === null
          ? 'attribute_not_exists(lastSentAt)'
          : '(attribute_not_exists(lastSentAt) OR lastSentAt <= :notSentAfter)';
      const sets = ['claimId = :claimId', 'claimedAt = :now', 'leaseUntil = :leaseUntil', 'entity = :entity'];
      const values: Record<string, unknown> = {
        ':claimId': claim.claimId,
        ':now': claim.now,
        ':leaseUntil': leaseUntil,
        ':entity': entity(slot),
        ':schemaVersion': SCHEMA_VERSION,
        ...(claim.notSentAfter !== null && { ':notSentAfter': claim.notSentAfter }),
      };
      sets.push('schemaVersion = :schemaVersion');
      if (slot.kind === 'patient' && claim.recovery) {
        sets.push(
          'practitionerId = :practitionerId',
          'threadId = :threadId',
          'gsi6pk = :queue',
          'gsi6sk = :due',
        );
        Object.assign(values, {
          ':practitionerId': claim.recovery.practitionerId,
          ':threadId': claim.recovery.threadId,
          ':queue': notificationQueueKeys.patientClaims(slot.patientId),
          ':due': `${leaseUntil}#${slot.messageId}`,
        });
      }
      try {
        const { Attributes } = await update({
          Key: slotKey(slot),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `${window} AND (attribute_not_exists(claimId) OR leaseUntil <= :now)`,
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_OLD',
        });
        return { claimed: true, tookOver: typeof Attributes?.claimId === 'string' };
      } catch (error) {
        if (isConditionalCheckFailed(error)) return { claimed: false, tookOver: false };
        throw error;
      }
    },

    /**
     * Patient-email claims whose lease ended before `now`, unconfirmed: one Query per
     * shard of the keys-only gsi6 queue (and of the legacy gsi5 one, drained), then the
     * claims themselves, consistent, for what the keys do not hold.
     */
    async expiredPatientClaims(now: string, limit: number): Promise<ExpiredPatientClaim[]> {
      const queues = [
        ...notificationQueueKeys.patientClaimShards().map((queue) => ({ index: 'gsi6', queue })),
        ...notificationQueueKeys.legacyPatientClaimShards().map((queue) => ({ index: 'gsi5', queue })),
      ];
      const pages = await Promise.all(
        queues.map(({ index, queue }) =>
          db.client.send(
            new QueryCommand({
              TableName: db.tableName,
              IndexName: index,
              KeyConditionExpression: `${index}pk = :queue AND ${index}sk <= :upTo`,
              ExpressionAttributeValues: { ':queue': queue, ':upTo': notificationQueueKeys.upTo(now) },
              Limit: limit,
            }),
          ),
        ),
      );
      const keysFound = pages.flatMap((page) =>
        (page.Items ?? []).map((item) => ({ pk: String(item.pk), sk: String(item.sk) })),
      );
      if (keysFound.length === 0) return [];
      const items = await batchGet(db, keysFound, { consistent: true });
      return [...items.values()].flatMap((item) => {
        const [patientId, messageId] = [
          String(item.pk).replace(/^PAT#/, ''),
          String(item.sk).replace(/^NOTIFIED#/, ''),
        ];
        const practitionerId = text(item.practitionerId);
        const threadId = text(item.threadId);
        const leaseUntil = text(item.leaseUntil);
        // Confirmed or released since the index was read: no claim any more.
        return practitionerId &&
          threadId &&
          leaseUntil &&
          typeof item.claimId === 'string' &&
          leaseUntil <= now
          ? [{ patientId, messageId, practitionerId, threadId, leaseUntil }]
          : [];
      });
    },

    /** Records the send (SES message id, time) and ends the claim; false if the claim was not ours any more. */
    async confirm(
      slot: NotificationSlot,
      claimId: string,
      sent: { sentAt: string; sesMessageId: string; untreatedMessages?: number },
      /** The outbox items of the email's event (PatientNotified, UntreatedDigestSent): with the confirmation. */
      withItems: readonly TransactItem[] = [],
    ): Promise<boolean> {
      return conditional(
        {
          Key: slotKey(slot),
          UpdateExpression: `SET lastSentAt = :sentAt, sesMessageId = :sesMessageId${
            sent.untreatedMessages === undefined ? '' : ', lastUntreatedMessages = :count'
          }${slot.kind === 'patient' ? ', expiresAt = :expiresAt' : ''} ADD sentCount :one REMOVE claimId, claimedAt, leaseUntil${
            slot.kind === 'patient' ? CLAIM_INDEX_KEYS : ''
          }`,
          ConditionExpression: 'claimId = :claimId',
          ExpressionAttributeValues: {
            ':sentAt': sent.sentAt,
            ':sesMessageId': sent.sesMessageId,
            ':claimId': claimId,
            ':one': 1,
            ...(sent.untreatedMessages !== undefined && { ':count': sent.untreatedMessages }),
            ...(slot.kind === 'patient' && {
              ':expiresAt': Math.floor(Date.parse(sent.sentAt) / 1000) + PATIENT_MARKER_TTL_SECONDS,
            }),
          },
        },
        withItems,
      );
    },

    /** Gives the slot back after a failed send, so the window is not burned; only our own claim. */
    async release(slot: NotificationSlot, claimId: string): Promise<boolean> {
      return conditional({
        Key: slotKey(slot),
        UpdateExpression: `REMOVE claimId, claimedAt, leaseUntil${slot.kind === 'patient' ? CLAIM_INDEX_KEYS : ''}`,
        ConditionExpression: 'claimId = :claimId',
        ExpressionAttributeValues: { ':claimId': claimId },
      });
    },

    /**
     * every_message: a message arrived inside the 15-minute window; queue a
     * summary for `dueAt`. Keeps the earliest due time and the latest message time.
     */
    async markSummaryPending(
      practitionerId: string,
      pending: { receivedAt: string; dueAt: string },
    ): Promise<void> {
      // The keys keep their values once queued (if_not_exists): a later message inside the
      // window changes only pendingLatest, which the keys-only index does not carry.
      const index = notificationQueueKeys.pendingSummary(practitionerId, pending.dueAt);
      await conditional({
        Key: keys.notificationSlot(practitionerId, 'INSTANT'),
        UpdateExpression:
          'SET gsi6pk = if_not_exists(gsi6pk, :queue), gsi6sk = if_not_exists(gsi6sk, :sk), pendingLatest = :receivedAt, entity = :entity',
        ConditionExpression: 'attribute_not_exists(pendingLatest) OR pendingLatest < :receivedAt',
        ExpressionAttributeValues: {
          ':queue': index.gsi6pk,
          ':sk': index.gsi6sk,
          ':receivedAt': pending.receivedAt,
          ':entity': 'PractitionerNotificationSlot',
        },
      });
    },

    /** Moves a pending summary to a later due time (its window moved on). */
    async reschedulePendingSummary(practitionerId: string, dueAt: string): Promise<void> {
      await conditional({
        Key: keys.notificationSlot(practitionerId, 'INSTANT'),
        UpdateExpression: 'SET gsi6sk = :sk',
        ConditionExpression: 'attribute_exists(gsi6pk)',
        ExpressionAttributeValues: {
          ':sk': notificationQueueKeys.pendingSummary(practitionerId, dueAt).gsi6sk,
        },
      });
    },

    /** Drops the pending summary if every pending message is covered by an email composed at `coveredUntil`. */
    async clearPendingSummary(practitionerId: string, coveredUntil: string | null): Promise<void> {
      await conditional({
        Key: keys.notificationSlot(practitionerId, 'INSTANT'),
        // gsi5 too: a legacy entry (before issue 12) the sweep has not moved yet goes with it.
        UpdateExpression: 'REMOVE gsi6pk, gsi6sk, gsi5pk, gsi5sk, pendingLatest',
        ConditionExpression:
          coveredUntil === null
            ? 'attribute_exists(pendingLatest)'
            : 'attribute_exists(pendingLatest) AND pendingLatest <= :coveredUntil',
        ...(coveredUntil !== null && { ExpressionAttributeValues: { ':coveredUntil': coveredUntil } }),
      });
    },
  };
};

export type NotificationRepository = ReturnType<typeof createNotificationRepository>;

/**
 * The counters-item half of a settings change: mirrors the mode and threshold
 * next to the counter, in the same transaction as the settings item, so the
 * DIGEST_DUE condition always compares the counter with the current threshold.
 */
export const notificationMirrorUpdate = (
  db: Db,
  practitionerId: string,
  changes: Partial<Pick<NotificationSettings, 'mode' | 'threshold'>>,
): TransactItem | null => {
  const sets: string[] = [];
  const values: Record<string, unknown> = {};
  if (changes.mode !== undefined) {
    sets.push(`${NOTIFY_ATTRIBUTES.mode} = :mode`);
    values[':mode'] = changes.mode;
  }
  if (changes.threshold !== undefined) {
    sets.push(`${NOTIFY_ATTRIBUTES.threshold} = :threshold`);
    values[':threshold'] = changes.threshold;
  }
  if (sets.length === 0) return null;
  return {
    Update: {
      TableName: db.tableName,
      Key: keys.practitionerCounters(practitionerId),
      UpdateExpression: `SET ${sets.join(', ')}, practitionerId = :pid`,
      ExpressionAttributeValues: { ...values, ':pid': practitionerId },
    },
  };
};
