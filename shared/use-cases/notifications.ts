import { PatientNotified } from '../../events/patient-notified.ts';
import { UntreatedDigestSent } from '../../events/untreated-digest-sent.ts';
import {
  DIGEST_WINDOW_MS,
  type DigestState,
  INSTANT_WINDOW_MS,
  isDigestDue,
  type NotificationSettings,
  practitionerRecipient,
  renderDelegateDigest,
  renderPatientNotification,
  renderPractitionerDigest,
  shiftIso,
  type WeekFigures,
} from '../domain/notifications.ts';
import { calendarDay } from '../domain/time-to-treat.ts';
import { assistantContactOf, notifiedDelegates } from '../repositories/delegate-email-store.ts';
import type { NotificationQueue, NotificationSlot } from '../repositories/notification-repository.ts';
import { errorFields, logger, metrics } from '../runtime/logger.ts';
import type { OutgoingEmail } from '../runtime/mailer.ts';
import { event, type PublishedEvent } from '../runtime/publisher.ts';
import { recordAuditAfterCommit } from './audit.ts';
import { type Deps, needs } from './deps.ts';
import { STATS_TIME_ZONE } from './stats.ts';

/**
 * Notifications (SPEC section 6). Every email follows one protocol: claim the
 * slot with a conditional write, send, then confirm (SES message id, time) or,
 * if SES refused, release the claim conditioned on it being ours, so a failure
 * never burns the window and a later run retries. The database, not the caller,
 * decides who sends: concurrent sweeps, events and redeliveries race on the claim.
 */

export type NotifyOutcome =
  /** SES accepted the email. */
  | 'sent'
  /** Not at/over the threshold, mode off, nothing untreated. */
  | 'not_due'
  /** The window's email already went (or is being sent by another run). */
  | 'capped'
  /** every_message: the message was already counted in an email. */
  | 'covered'
  /** every_message: inside the 15-minute window; a summary is queued for when it ends. */
  | 'deferred'
  /** Exactly-once: this message's patient email already went. */
  | 'duplicate'
  | 'no_recipient'
  /** The practitioner retracted the message before its email went: "a new message" would be false. */
  | 'retracted'
  /** SES refused or failed; the claim was released for a retry. */
  | 'failed';

type SendResult =
  | { status: 'sent'; claimId: string; sentAt: string }
  | { status: 'taken' }
  | { status: 'failed'; error: unknown };

/** The event of a practitioner email (a count, never content), committed with the send's confirmation. */
const digestSent =
  (
    practitionerId: string,
    mode: 'threshold' | 'every_message',
    trigger: 'message' | 'sweep',
    count: number,
  ) =>
  (sent: { claimId: string; sentAt: string }): PublishedEvent[] => [
    event(UntreatedDigestSent, {
      practitionerId,
      notificationId: sent.claimId,
      mode,
      trigger,
      untreatedMessages: count,
      sentAt: sent.sentAt,
    }),
  ];

/** After a practitioner email went: its audit entry (its event committed with the confirmation). */
const recordPractitionerNotified = (
  deps: Deps,
  practitionerId: string,
  mode: 'threshold' | 'every_message',
  trigger: 'message' | 'sweep',
) =>
  recordAuditAfterCommit(deps, { kind: 'practitioner', practitionerId }, [
    { action: 'practitioner.notified', objects: { practitionerId }, details: { mode, trigger } },
  ]);

const nowIso = (deps: Pick<Deps, 'clock'>) => deps.clock.now().toISOString();

/**
 * Claim → send → confirm; release the claim when SES does not accept the email.
 * `eventsOf` are the events of the email, committed with its confirmation.
 */
const sendOnce = async (
  deps: Deps,
  slot: NotificationSlot,
  notSentAfter: string | null,
  email: OutgoingEmail,
  eventsOf: (sent: { claimId: string; sentAt: string }) => PublishedEvent[],
  options: { untreatedMessages?: number; recovery?: { practitionerId: string; threadId: string } } = {},
): Promise<SendResult> => {
  const { untreatedMessages } = options;
  const claimId = deps.ids.next();
  const now = nowIso(deps);
  const claim = await deps.notifications.claim(slot, {
    claimId,
    now,
    notSentAfter,
    ...(options.recovery && { recovery: options.recovery }),
  });
  if (!claim.claimed) return { status: 'taken' };
  if (claim.tookOver) {
    // A process died between its claim and SES (or before confirming): this send makes up for it.
    metrics.addMetric('NotificationClaimExpired', 'Count', 1);
    logger.warn('A notification claim outlived its lease; sending again', { slot: slot.kind, claimId });
  }
  let sesMessageId: string;
  try {
    ({ messageId: sesMessageId } = await deps.mailer.send(email));
  } catch (error) {
    // If the release itself fails the claim stays and counts as a send: the cap wins over a retry.
    await deps.notifications.release(slot, claimId);
    metrics.addMetric('NotificationSendFailed', 'Count', 1);
    logger.warn('Notification email not accepted; claim released for a retry', {
      slot: slot.kind,
      claimId,
      errorName: (error as Error)?.name,
    });
    return { status: 'failed', error };
  }
  const confirmed = await deps.notifications.confirm(
    slot,
    claimId,
    { sentAt: now, sesMessageId, ...(untreatedMessages !== undefined && { untreatedMessages }) },
    deps.outbox.items(eventsOf({ claimId, sentAt: now })),
  );
  if (!confirmed)
    logger.error('Notification claim vanished before confirmation', { slot: slot.kind, claimId });
  metrics.addMetric('NotificationSent', 'Count', 1);
  logger.info('Notification email sent', { slot: slot.kind, claimId, sesMessageId });
  return { status: 'sent', claimId, sentAt: now };
};

/** Resolves the practitioner's address; null (and a metric) when they have none. */
const practitionerAddress = async (deps: Deps, practitionerId: string) => {
  const settings = await deps.settings.get(practitionerId);
  const to = practitionerRecipient(settings);
  if (!to) {
    metrics.addMetric('NotificationWithoutRecipient', 'Count', 1);
    logger.info('Practitioner notification skipped: no email address', { practitionerId });
  }
  return to;
};

/** What the delegates' copies of one email came to (the sweep counts them; events ignore them). */
export type DelegateOutcomes = Record<NotifyOutcome, number>;

/**
 * The delegates who get the practitioner's emails: those who asked for them (`notify`
 * on their grant) and whose own token gave a verified address (ADR 0015). One Query of
 * the grants' partition, then one GetItem per delegate who asked.
 */
const delegateRecipients = async (deps: Deps, practitionerId: string) => {
  const grants = await notifiedDelegates(deps.delegateEmails, practitionerId);
  const contacts = await Promise.all(
    grants.map((grant) => assistantContactOf(deps.delegateEmails, grant.assistantId)),
  );
  return grants.flatMap((grant, i) => {
    const contact = contacts[i];
    if (contact) return [{ assistantId: grant.assistantId, to: contact.email }];
    metrics.addMetric('NotificationWithoutRecipient', 'Count', 1);
    logger.info('Delegate notification skipped: no verified address', {
      practitionerId,
      assistantId: grant.assistantId,
      reason: 'no_verified_address',
    });
    return [];
  });
};

/**
 * The practitioner's email, to each delegate who asked for it: one slot per
 * (practitioner inbox, recipient) with the practitioner's window, claimed like
 * theirs, so each delegate gets at most one digest a week (one instant email per
 * 15 minutes) whoever races. A revoked grant or `notify: false` is not read here
 * any more: the next email leaves them out.
 */
const notifyDelegates = async (
  deps: Deps,
  practitionerId: string,
  mode: 'threshold' | 'every_message',
  untreatedMessages: number,
  into?: DelegateOutcomes,
): Promise<void> => {
  const recipients = await delegateRecipients(deps, practitionerId);
  if (recipients.length === 0) return;
  const kind = mode === 'threshold' ? 'digest' : 'instant';
  const window = mode === 'threshold' ? DIGEST_WINDOW_MS : INSTANT_WINDOW_MS;
  const content = renderDelegateDigest({
    untreatedMessages,
    mode,
    practitionerId,
    appBaseUrl: deps.appBaseUrl,
  });
  const notSentAfter = shiftIso(nowIso(deps), -window);
  await Promise.all(
    recipients.map(async ({ assistantId, to }) => {
      const result = await sendOnce(
        deps,
        { kind, practitionerId, assistantId },
        notSentAfter,
        { to, ...content },
        () => [],
        { untreatedMessages },
      );
      const outcome: NotifyOutcome =
        result.status === 'sent' ? 'sent' : result.status === 'taken' ? 'capped' : 'failed';
      if (into) into[outcome] += 1;
    }),
  );
};

/**
 * The last 7 days' counts (SPEC 11.5) for the digest: one Query of 7 day items. The digest goes without
 * the line rather than not at all when they cannot be read.
 */
const lastWeekFigures = async (deps: Deps, practitionerId: string): Promise<WeekFigures | undefined> => {
  const dayOf = calendarDay(STATS_TIME_ZONE);
  const now = deps.clock.now();
  try {
    const days = await needs(deps, 'stats').days(
      practitionerId,
      dayOf(new Date(now.getTime() - 6 * 86_400_000).toISOString()),
      dayOf(now.toISOString()),
    );
    return days.reduce(
      (week, [, day]) => ({
        received: week.received + day.received,
        treated: week.treated + day.treated,
        within48h: week.within48h + day.within48h,
      }),
      { received: 0, treated: 0, within48h: 0 },
    );
  } catch (error) {
    logger.warn('Digest without the week figures: statistics unreadable', errorFields(error));
    return undefined;
  }
};

/**
 * The weekly-capped untreated digest: sent if the practitioner is at or over
 * their threshold and no digest went in the previous rolling 7 days; then to the
 * delegates who asked for it, each under their own weekly cap. The delegates are
 * read only when the practitioner's email went (or could not: no address) or a
 * sweep found it capped, never on each message of a capped week (the hot path).
 */
export const sendUntreatedDigest = async (
  deps: Deps,
  practitionerId: string,
  trigger: 'message' | 'sweep',
  known?: DigestState,
  delegateOutcomes?: DelegateOutcomes,
): Promise<NotifyOutcome> => {
  const state = known ?? (await deps.notifications.digestState(practitionerId));
  if (!isDigestDue(state)) return 'not_due';
  const outcome = await sendPractitionerDigest(deps, practitionerId, trigger, state);
  if (outcome === 'sent' || outcome === 'no_recipient' || (outcome === 'capped' && trigger === 'sweep'))
    await notifyDelegates(deps, practitionerId, 'threshold', state.untreatedMessages, delegateOutcomes);
  return outcome;
};

/** The practitioner's own weekly digest (their slot, the sweep index's week). */
const sendPractitionerDigest = async (
  deps: Deps,
  practitionerId: string,
  trigger: 'message' | 'sweep',
  state: DigestState,
): Promise<NotifyOutcome> => {
  const to = await practitionerAddress(deps, practitionerId);
  if (!to) return 'no_recipient';
  const slot: NotificationSlot = { kind: 'digest', practitionerId };
  const now = nowIso(deps);
  const lastWeek = await lastWeekFigures(deps, practitionerId);
  const content = renderPractitionerDigest({
    untreatedMessages: state.untreatedMessages,
    mode: 'threshold',
    appBaseUrl: deps.appBaseUrl,
    ...(lastWeek && { lastWeek }),
  });
  const result = await sendOnce(
    deps,
    slot,
    shiftIso(now, -DIGEST_WINDOW_MS),
    { to, ...content },
    digestSent(practitionerId, 'threshold', trigger, state.untreatedMessages),
    { untreatedMessages: state.untreatedMessages },
  );
  if (result.status === 'taken') {
    // The sweep found a stale sort key (e.g. its update after a send was lost): move it to the real week's end.
    if (trigger === 'sweep') {
      const { lastSentAt } = await deps.notifications.slot(slot, nowIso(deps));
      if (lastSentAt) {
        await deps.notifications.advanceDigestEligibility(
          practitionerId,
          shiftIso(lastSentAt, DIGEST_WINDOW_MS),
        );
      }
    }
    return 'capped';
  }
  if (result.status === 'failed') return 'failed';
  await deps.notifications.advanceDigestEligibility(
    practitionerId,
    shiftIso(result.sentAt, DIGEST_WINDOW_MS),
  );
  await recordPractitionerNotified(deps, practitionerId, 'threshold', trigger);
  return 'sent';
};

/**
 * every_message: one email per new patient message, at most one per 15 minutes.
 * A message inside the window is not lost: a summary is queued (NOTIFY_PENDING)
 * for the window's end and the sweep sends it with the count at that time.
 * `receivedAt` is the message's time (event) or null (sweep of the queue).
 */
export const sendInstantSummary = async (
  deps: Deps,
  practitionerId: string,
  trigger: 'message' | 'sweep',
  receivedAt: string | null,
  known?: DigestState,
  delegateOutcomes?: DelegateOutcomes,
): Promise<NotifyOutcome> => {
  const state = known ?? (await deps.notifications.digestState(practitionerId));
  const outcome = await sendPractitionerInstant(deps, practitionerId, trigger, receivedAt, state);
  // The delegates' copies go with the practitioner's (or instead of it, without an address).
  if (outcome === 'sent' || outcome === 'no_recipient')
    await notifyDelegates(deps, practitionerId, 'every_message', state.untreatedMessages, delegateOutcomes);
  return outcome;
};

/** The practitioner's own every_message email, its 15-minute window and pending summary. */
const sendPractitionerInstant = async (
  deps: Deps,
  practitionerId: string,
  trigger: 'message' | 'sweep',
  receivedAt: string | null,
  state: DigestState,
): Promise<NotifyOutcome> => {
  if (state.mode !== 'every_message' || state.untreatedMessages === 0) {
    await deps.notifications.clearPendingSummary(practitionerId, null);
    return 'not_due';
  }
  const slot: NotificationSlot = { kind: 'instant', practitionerId };
  const before = await deps.notifications.slot(slot, nowIso(deps));
  // A redelivered event, or a message an email already counted.
  if (receivedAt !== null && before.coveredUntil !== null && receivedAt <= before.coveredUntil)
    return 'covered';
  const to = await practitionerAddress(deps, practitionerId);
  if (!to) {
    await deps.notifications.clearPendingSummary(practitionerId, null);
    return 'no_recipient';
  }
  const now = nowIso(deps);
  const content = renderPractitionerDigest({
    untreatedMessages: state.untreatedMessages,
    mode: 'every_message',
    appBaseUrl: deps.appBaseUrl,
  });
  const result = await sendOnce(
    deps,
    slot,
    shiftIso(now, -INSTANT_WINDOW_MS),
    { to, ...content },
    digestSent(practitionerId, 'every_message', trigger, state.untreatedMessages),
    { untreatedMessages: state.untreatedMessages },
  );
  if (result.status === 'taken') {
    const current = await deps.notifications.slot(slot, nowIso(deps));
    if (receivedAt !== null && current.coveredUntil !== null && receivedAt <= current.coveredUntil) {
      return 'covered';
    }
    const dueAt = shiftIso(current.coveredUntil ?? now, INSTANT_WINDOW_MS);
    if (receivedAt !== null) {
      await deps.notifications.markSummaryPending(practitionerId, { receivedAt, dueAt });
    } else {
      await deps.notifications.reschedulePendingSummary(practitionerId, dueAt);
    }
    return 'deferred';
  }
  if (result.status === 'failed') {
    // Queue it for the next sweep as well as letting the event be retried; the claim keeps it to one.
    await deps.notifications.markSummaryPending(practitionerId, {
      receivedAt: receivedAt ?? now,
      dueAt: now,
    });
    return 'failed';
  }
  await deps.notifications.clearPendingSummary(practitionerId, result.sentAt);
  await recordPractitionerNotified(deps, practitionerId, 'every_message', trigger);
  return 'sent';
};

/** MessageReceived: keep the sweep index exact, then notify according to the practitioner's mode. */
export const onPatientMessageReceived = async (
  deps: Deps,
  message: { practitionerId: string; messageId: string; receivedAt: string },
): Promise<NotifyOutcome> => {
  const { state } = await deps.notifications.reconcileDigestIndex(message.practitionerId);
  switch (state.mode) {
    case 'off':
      return 'not_due';
    case 'threshold':
      return sendUntreatedDigest(deps, message.practitionerId, 'message', state);
    case 'every_message':
      return sendInstantSummary(deps, message.practitionerId, 'message', message.receivedAt, state);
  }
};

/** ThreadTreated: the counter went down; the practitioner may leave the sweep index. */
export const onThreadTreated = async (deps: Deps, thread: { practitionerId: string }) =>
  (await deps.notifications.reconcileDigestIndex(thread.practitionerId)).change;

/** After a settings PATCH: a new mode or threshold takes effect for the next message and the next sweep. */
export const onNotificationSettingsChanged = async (
  deps: Deps,
  practitionerId: string,
  changes: Partial<NotificationSettings> | undefined,
) => {
  if (changes?.mode === undefined && changes?.threshold === undefined) return;
  await deps.notifications.reconcileDigestIndex(practitionerId);
};

/**
 * MessageSent: the patient gets one neutral email per message — no practitioner,
 * no specialty, no text — at their verified address only (ADR 0010): the one of
 * their own identity or the agenda's (`CONTACT#<patientId>`), never the email a
 * practitioner typed on their record. Without one, nothing is sent.
 */
export const notifyPatientOfMessage = async (
  deps: Deps,
  message: { practitionerId: string; patientId: string; threadId: string; messageId: string },
): Promise<NotifyOutcome> => {
  const [stored, contact] = await Promise.all([
    deps.threads.getMessage(message.threadId, message.messageId),
    deps.contacts.get(message.patientId),
  ]);
  if (stored?.retracted) return 'retracted';
  if (!contact) {
    metrics.addMetric('NotificationWithoutRecipient', 'Count', 1);
    logger.info('Patient notification skipped: no verified address', {
      practitionerId: message.practitionerId,
      patientId: message.patientId,
      reason: 'no_verified_address',
    });
    return 'no_recipient';
  }
  const content = renderPatientNotification({ threadId: message.threadId, appBaseUrl: deps.appBaseUrl });
  const result = await sendOnce(
    deps,
    { kind: 'patient', patientId: message.patientId, messageId: message.messageId },
    null,
    { to: contact.email, ...content },
    (sent) => [
      event(PatientNotified, {
        practitionerId: message.practitionerId,
        patientId: message.patientId,
        threadId: message.threadId,
        messageId: message.messageId,
        notifiedAt: sent.sentAt,
      }),
    ],
    { recovery: { practitionerId: message.practitionerId, threadId: message.threadId } },
  );
  if (result.status === 'taken') return 'duplicate';
  if (result.status === 'failed') return 'failed';
  await recordAuditAfterCommit(deps, { kind: 'thread', threadId: message.threadId }, [
    {
      action: 'patient.notified',
      objects: {
        threadId: message.threadId,
        messageId: message.messageId,
        practitionerId: message.practitionerId,
        patientId: message.patientId,
      },
    },
  ]);
  return 'sent';
};

export interface SweepReport {
  startedAt: string;
  /** Items the sweep's index Queries returned: its read cost, flat in the number of messages. */
  itemsRead: number;
  /** Entries of the queues before issue 12 (gsi5) moved to the sharded gsi6 queues; 0 once drained. */
  legacyMigrated: number;
  digest: Record<NotifyOutcome, number>;
  summaries: Record<NotifyOutcome, number>;
  /** Patient emails resent because their claim outlived its lease. */
  patients: Record<NotifyOutcome, number>;
  /** Delegates' copies of the digests and summaries (ADR 0015). */
  delegates: DelegateOutcomes;
  errors: number;
}

const emptyOutcomes = (): Record<NotifyOutcome, number> => ({
  sent: 0,
  not_due: 0,
  capped: 0,
  covered: 0,
  deferred: 0,
  duplicate: 0,
  no_recipient: 0,
  retracted: 0,
  failed: 0,
});

const SWEEP_PAGE_SIZE = 100;
const SWEEP_CONCURRENCY = 8;

const forEachConcurrently = async <T>(items: T[], limit: number, run: (item: T) => Promise<void>) => {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
};

/**
 * Moves what a deployed table still holds in the queues as they were before
 * issue 12 (one gsi5 partition each, the DIGEST_DUE keys on the hot COUNTERS
 * item) to the sharded gsi6 queues: a digest entry is reconciled into its own
 * item and then removed from COUNTERS; a pending summary's keys move on its slot.
 * Two Queries returning nothing once drained (0.5 RCU each); kept until the
 * LegacyQueueEntriesMigrated metric has stayed at 0 across a release.
 */
const migrateLegacyQueues = async (deps: Deps, report: SweepReport) => {
  const migrate = async (
    queue: NotificationQueue,
    move: (entry: { practitionerId: string; sortKey: string }) => Promise<void>,
  ) => {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await deps.notifications.queryLegacy(queue, { limit: SWEEP_PAGE_SIZE, startKey });
      report.itemsRead += page.itemsRead;
      await forEachConcurrently(page.entries, SWEEP_CONCURRENCY, async (entry) => {
        try {
          await move(entry);
          report.legacyMigrated += 1;
        } catch (error) {
          report.errors += 1;
          logger.error('Sweep could not migrate a legacy queue entry', {
            practitionerId: entry.practitionerId,
            queue,
            errorName: (error as Error)?.name,
          });
        }
      });
      startKey = page.next;
    } while (startKey);
  };
  await migrate('digestDue', async ({ practitionerId }) => {
    // The new entry first (if due), then the old keys: never out of both queues.
    await deps.notifications.reconcileDigestIndex(practitionerId);
    await deps.notifications.retireLegacyDigestEntry(practitionerId);
  });
  await migrate('pendingSummary', async ({ practitionerId, sortKey }) => {
    await deps.notifications.migrateLegacyPendingSummary(practitionerId, sortKey);
  });
  if (report.legacyMigrated > 0)
    metrics.addMetric('LegacyQueueEntriesMigrated', 'Count', report.legacyMigrated);
};

/**
 * The scheduled sweep: reads only the sparse queues, never the practitioners or
 * the messages — the DIGEST_DUE entries whose week has passed (at or over the
 * threshold by construction; each re-checked against its live counter) and the
 * every_message summaries whose 15 minutes have passed. Each queue is sharded
 * (gsi6, keys only): every shard is queried in parallel, page by page, and the
 * candidates of a round are handled SWEEP_CONCURRENCY at a time.
 */
export const runNotificationSweep = async (deps: Deps): Promise<SweepReport> => {
  const startedAt = nowIso(deps);
  const report: SweepReport = {
    startedAt,
    itemsRead: 0,
    legacyMigrated: 0,
    digest: emptyOutcomes(),
    summaries: emptyOutcomes(),
    patients: emptyOutcomes(),
    delegates: emptyOutcomes(),
    errors: 0,
  };
  const drain = async (
    queue: NotificationQueue,
    handle: (practitionerId: string) => Promise<NotifyOutcome>,
    outcomes: Record<NotifyOutcome, number>,
  ) => {
    let cursors: { shard: string; startKey?: Record<string, unknown> }[] = deps.notifications
      .queueShards(queue)
      .map((shard) => ({ shard }));
    while (cursors.length > 0) {
      const pages = await Promise.all(
        cursors.map(({ shard, startKey }) =>
          deps.notifications.queryDue(queue, startedAt, { shard, limit: SWEEP_PAGE_SIZE, startKey }),
        ),
      );
      const entries = pages.flatMap((page) => page.entries);
      report.itemsRead += pages.reduce((sum, page) => sum + page.itemsRead, 0);
      await forEachConcurrently(entries, SWEEP_CONCURRENCY, async ({ practitionerId }) => {
        try {
          outcomes[await handle(practitionerId)] += 1;
        } catch (error) {
          report.errors += 1;
          logger.error('Sweep could not process a practitioner', {
            practitionerId,
            queue,
            errorName: (error as Error)?.name,
          });
        }
      });
      cursors = cursors.flatMap((cursor, i) => {
        const next = pages[i]?.next;
        return next ? [{ shard: cursor.shard, startKey: next }] : [];
      });
    }
  };
  await migrateLegacyQueues(deps, report);
  await drain(
    'digestDue',
    async (practitionerId) => {
      const outcome = await sendUntreatedDigest(deps, practitionerId, 'sweep', undefined, report.delegates);
      // Below the threshold now (or another mode): the entry must go, whatever event was missed.
      if (outcome === 'not_due') await deps.notifications.reconcileDigestIndex(practitionerId);
      return outcome;
    },
    report.digest,
  );
  await drain(
    'pendingSummary',
    (practitionerId) => sendInstantSummary(deps, practitionerId, 'sweep', null, undefined, report.delegates),
    report.summaries,
  );
  // Patient emails whose claim outlived its lease (the sending process died): sent now, once.
  const expired = await deps.notifications.expiredPatientClaims(startedAt, SWEEP_PAGE_SIZE);
  report.itemsRead += expired.length;
  await forEachConcurrently(expired, SWEEP_CONCURRENCY, async (claim) => {
    try {
      report.patients[await notifyPatientOfMessage(deps, claim)] += 1;
    } catch (error) {
      report.errors += 1;
      logger.error('Sweep could not resend a patient notification', {
        messageId: claim.messageId,
        errorName: (error as Error)?.name,
      });
    }
  });
  metrics.addMetric('SweepItemsRead', 'Count', report.itemsRead);
  metrics.addMetric(
    'SweepEmailsSent',
    'Count',
    report.digest.sent + report.summaries.sent + report.patients.sent + report.delegates.sent,
  );
  metrics.addMetric('SweepFailures', 'Count', sweepFailures(report));
  return report;
};

export const sweepFailures = (report: SweepReport): number =>
  report.digest.failed +
  report.summaries.failed +
  report.patients.failed +
  report.delegates.failed +
  report.errors;

/**
 * Thrown by consumers when SES refused: the claim is already released, so
 * EventBridge's retry (and, for digests, the next sweep) can send it.
 */
export class NotificationNotSent extends Error {
  constructor(what: string) {
    super(`${what} email was not accepted by SES; it will be retried`);
    this.name = 'NotificationNotSent';
  }
}
