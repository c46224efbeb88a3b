import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { type ItemKey, keys, notificationQueueKeys } from '../db/keys.ts';
import { isConditionalCheckFailed, type TransactItem, writeWith } from '../db/transactions.ts';
import {
  CLAIM_LEASE_MS,
  DEFAULT_NOTIFICATIONS,
  type DigestState,
  desiredDigestIndex,
  digestIndexSortKey,
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
 *   settings), `digestEligibleAt`, and the sparse gsi5 entry DIGEST_DUE present
 *   only while they are at or over the threshold. Its presence is written with a
 *   condition on the live counter, so it cannot disagree with it for long.
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
const MAX_RECONCILE_ATTEMPTS = 10;
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
  indexedAt: item?.gsi5pk === notificationQueueKeys.digestDue ? text(item?.gsi5sk) : null,
});

/** Which claim slot: the weekly digest, the 15-minute instant email, or one patient email. */
export type NotificationSlot =
  | { kind: 'digest'; practitionerId: string }
  | { kind: 'instant'; practitionerId: string }
  | { kind: 'patient'; patientId: string; messageId: string };

const slotKey = (slot: NotificationSlot): ItemKey => {
  switch (slot.kind) {
    case 'digest':
      return keys.notificationSlot(slot.practitionerId, 'DIGEST');
    case 'instant':
      return keys.notificationSlot(slot.practitionerId, 'INSTANT');
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

const entity = (slot: NotificationSlot) =>
  slot.kind === 'patient' ? 'PatientNotification' : 'PractitionerNotificationSlot';

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
     * Makes the DIGEST_DUE entry agree with the live counter and threshold: read,
     * decide, write conditioned on what was decided on (the live counter against
     * the mirrored threshold, and an unchanged `digestEligibleAt`); re-read when
     * another writer moved the state in between.
     */
    async reconcileDigestIndex(
      practitionerId: string,
    ): Promise<{ change: 'indexed' | 'removed' | 'unchanged'; state: DigestState }> {
      for (let attempt = 1; attempt <= MAX_RECONCILE_ATTEMPTS; attempt++) {
        const item = await readCounters(practitionerId);
        const state = digestStateOf(item);
        if (!item) return { change: 'unchanged', state };
        const desired = desiredDigestIndex(state, practitionerId);
        if (desired === state.indexedAt) return { change: 'unchanged', state };
        const written = desired
          ? await conditional({
              Key: keys.practitionerCounters(practitionerId),
              UpdateExpression: 'SET gsi5pk = :due, gsi5sk = :sk, practitionerId = :pid',
              ConditionExpression: `${DUE_CONDITION} AND ${
                state.eligibleAt === null
                  ? 'attribute_not_exists(digestEligibleAt)'
                  : 'digestEligibleAt = :eligibleAt'
              }`,
              ExpressionAttributeNames: DUE_NAMES,
              ExpressionAttributeValues: {
                ...DUE_VALUES,
                ':due': notificationQueueKeys.digestDue,
                ':sk': desired,
                ':pid': practitionerId,
                ...(state.eligibleAt !== null && { ':eligibleAt': state.eligibleAt }),
              },
            })
          : await conditional({
              Key: keys.practitionerCounters(practitionerId),
              UpdateExpression: 'REMOVE gsi5pk, gsi5sk',
              ConditionExpression: `attribute_exists(gsi5pk) AND NOT (${DUE_CONDITION})`,
              ExpressionAttributeNames: DUE_NAMES,
              ExpressionAttributeValues: DUE_VALUES,
            });
        if (written)
          return { change: desired ? 'indexed' : 'removed', state: { ...state, indexedAt: desired } };
      }
      throw new Error(`Could not reconcile the digest index after ${MAX_RECONCILE_ATTEMPTS} attempts`);
    },

    /**
     * After a digest (or when a stale entry is found), the next one may go at
     * `eligibleAt`: the entry's sort key moves there, so sweeps before that date
     * do not read it. Only ever moves forward.
     */
    async advanceDigestEligibility(practitionerId: string, eligibleAt: string): Promise<boolean> {
      return conditional({
        Key: keys.practitionerCounters(practitionerId),
        UpdateExpression: 'SET digestEligibleAt = :eligibleAt, gsi5sk = :sk',
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(digestEligibleAt) OR digestEligibleAt < :eligibleAt)',
        ExpressionAttributeValues: {
          ':eligibleAt': eligibleAt,
          ':sk': digestIndexSortKey(eligibleAt, practitionerId),
        },
      });
    },

    /** One page of a notification queue, entries due at or before `now`, oldest first. */
    async queryDue(
      queue: 'digestDue' | 'pendingSummary',
      now: string,
      options: { limit?: number; startKey?: Record<string, unknown> } = {},
    ): Promise<QueuePage> {
      const page = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          IndexName: 'gsi5',
          KeyConditionExpression: 'gsi5pk = :queue AND gsi5sk <= :upTo',
          ExpressionAttributeValues: {
            ':queue': notificationQueueKeys[queue],
            ':upTo': notificationQueueKeys.upTo(now),
          },
          ProjectionExpression: 'pk, sk, gsi5pk, gsi5sk',
          Limit: options.limit ?? 100,
          ExclusiveStartKey: options.startKey,
        }),
      );
      const items = page.Items ?? [];
      const entries = items.flatMap((item) => {
        const practitionerId = notificationQueueKeys.practitionerIdOf(String(item.pk));
        return practitionerId ? [{ practitionerId, sortKey: String(item.gsi5sk) }] : [];
      });
      return { entries, itemsRead: items.length, next: page.LastEvaluatedKey };
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
          'gsi5pk = :queue',
          'gsi5sk = :due',
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

    /** Patient-email claims whose lease ended before `now`, unconfirmed (sparse gsi5, one Query per shard). */
    async expiredPatientClaims(now: string, limit: number): Promise<ExpiredPatientClaim[]> {
      const pages = await Promise.all(
        notificationQueueKeys.patientClaimShards().map((queue) =>
          db.client.send(
            new QueryCommand({
              TableName: db.tableName,
              IndexName: 'gsi5',
              KeyConditionExpression: 'gsi5pk = :queue AND gsi5sk <= :upTo',
              ExpressionAttributeValues: { ':queue': queue, ':upTo': notificationQueueKeys.upTo(now) },
              Limit: limit,
            }),
          ),
        ),
      );
      return pages.flatMap((page) =>
        (page.Items ?? []).flatMap((item) => {
          const [patientId, messageId] = [
            String(item.pk).replace(/^PAT#/, ''),
            String(item.sk).replace(/^NOTIFIED#/, ''),
          ];
          const practitionerId = text(item.practitionerId);
          const threadId = text(item.threadId);
          const leaseUntil = text(item.leaseUntil);
          return practitionerId && threadId && leaseUntil
            ? [{ patientId, messageId, practitionerId, threadId, leaseUntil }]
            : [];
        }),
      );
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
            slot.kind === 'patient' ? ', gsi5pk, gsi5sk' : ''
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
        UpdateExpression: `REMOVE claimId, claimedAt, leaseUntil${slot.kind === 'patient' ? ', gsi5pk, gsi5sk' : ''}`,
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
      await conditional({
        Key: keys.notificationSlot(practitionerId, 'INSTANT'),
        UpdateExpression:
          'SET gsi5pk = :queue, gsi5sk = if_not_exists(gsi5sk, :sk), pendingLatest = :receivedAt, entity = :entity',
        ConditionExpression: 'attribute_not_exists(pendingLatest) OR pendingLatest < :receivedAt',
        ExpressionAttributeValues: {
          ':queue': notificationQueueKeys.pendingSummary,
          ':sk': `${pending.dueAt}#${practitionerId}`,
          ':receivedAt': pending.receivedAt,
          ':entity': 'PractitionerNotificationSlot',
        },
      });
    },

    /** Moves a pending summary to a later due time (its window moved on). */
    async reschedulePendingSummary(practitionerId: string, dueAt: string): Promise<void> {
      await conditional({
        Key: keys.notificationSlot(practitionerId, 'INSTANT'),
        UpdateExpression: 'SET gsi5sk = :sk',
        ConditionExpression: 'attribute_exists(gsi5pk)',
        ExpressionAttributeValues: { ':sk': `${dueAt}#${practitionerId}` },
      });
    },

    /** Drops the pending summary if every pending message is covered by an email composed at `coveredUntil`. */
    async clearPendingSummary(practitionerId: string, coveredUntil: string | null): Promise<void> {
      await conditional({
        Key: keys.notificationSlot(practitionerId, 'INSTANT'),
        UpdateExpression: 'REMOVE gsi5pk, gsi5sk, pendingLatest',
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
