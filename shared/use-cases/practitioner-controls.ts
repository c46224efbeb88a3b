/**
 * The practitioner's controls over their inbox: block / allow a patient, close
 * and reopen the messaging (by hand or at a set date), who may start requests,
 * the same-day cooldown, retracting an unread message and archiving a closed
 * thread. The rules these feed are in shared/domain/messaging-rules.ts.
 */
import { InboxClosed } from '../../events/inbox-closed.ts';
import { InboxOpened } from '../../events/inbox-opened.ts';
import { MessageRetracted } from '../../events/message-retracted.ts';
import { PatientAllowed } from '../../events/patient-allowed.ts';
import { PatientBlocked } from '../../events/patient-blocked.ts';
import { PatientDisallowed } from '../../events/patient-disallowed.ts';
import { PatientUnblocked } from '../../events/patient-unblocked.ts';
import { ThreadArchived } from '../../events/thread-archived.ts';
import { withOptimisticRetry } from '../db/transactions.ts';
import { NotFound, ValidationError } from '../domain/errors.ts';
import { isMessagingOpen } from '../domain/messaging-rules.ts';
import type { PractitionerSettings } from '../domain/settings.ts';
import { archiveThread, retractPractitionerMessage } from '../domain/thread-rules.ts';
import type { PatientRecord } from '../domain/types.ts';
import { practitionerMessageView, practitionerThreadView } from '../domain/views.ts';
import type { MessagingFlag } from '../repositories/patient-repository.ts';
import { event, type PublishedEvent } from '../runtime/publisher.ts';
import type { Deps, PractitionerActor } from './deps.ts';
import { loadOwnedThread, spilledMarksFor } from './threads-common.ts';

// --- block / allow -------------------------------------------------------------------------------

const recordView = ({ practitionerId: _p, ...record }: PatientRecord) => record;

const FLAG_EVENTS = {
  blocked: {
    true: (practitionerId: string, patientId: string, at: string) =>
      event(PatientBlocked, { practitionerId, patientId, blockedAt: at }),
    false: (practitionerId: string, patientId: string, at: string) =>
      event(PatientUnblocked, { practitionerId, patientId, unblockedAt: at }),
  },
  allowed: {
    true: (practitionerId: string, patientId: string, at: string) =>
      event(PatientAllowed, { practitionerId, patientId, allowedAt: at }),
    false: (practitionerId: string, patientId: string, at: string) =>
      event(PatientDisallowed, { practitionerId, patientId, disallowedAt: at }),
  },
} as const;

/**
 * PUT / DELETE /patients/{patientId}/block and /allow: sets one flag on the
 * record, idempotently (a repeat changes nothing and publishes nothing). The
 * flag is independent of everything else, so unblocking restores exactly the
 * rights the patient had. 404 when the patient is not in the base.
 */
export const setPatientFlag = async (
  deps: Deps,
  actor: PractitionerActor,
  patientId: string,
  flag: MessagingFlag,
  value: boolean,
) => {
  const now = deps.clock.now().toISOString();
  // The event is written with the change (it exists exactly when the flag changed).
  const result = await deps.patients.setFlag(
    actor.practitionerId,
    patientId,
    flag,
    value,
    now,
    deps.outbox.items([FLAG_EVENTS[flag][value ? 'true' : 'false'](actor.practitionerId, patientId, now)]),
  );
  if (!result) throw new NotFound('Patient');
  return recordView(result.record);
};

// --- settings: close / reopen, who may start, cooldown --------------------------------------------

/** Settings fields the messaging rules read: changing one bumps the controls version. */
export const CONTROL_FIELDS = [
  'inboxOpen',
  'absenceMessage',
  'reopensAt',
  'whoCanStartRequests',
  'allowedAttributes',
  'sameDayCooldown',
  'timezone',
] as const satisfies readonly (keyof PractitionerSettings)[];

export type ControlsPatch = Partial<Pick<PractitionerSettings, (typeof CONTROL_FIELDS)[number]>>;

/** Splits a settings PATCH into the control fields and the rest. */
export const splitControls = <P extends object>(patch: P) => {
  const controls: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(patch)) {
    if ((CONTROL_FIELDS as readonly string[]).includes(field)) controls[field] = value;
    else rest[field] = value;
  }
  return { controls: controls as ControlsPatch, rest: rest as Omit<P, (typeof CONTROL_FIELDS)[number]> };
};

/**
 * The settings as the practitioner should see them: a closure whose reopening
 * date has passed is open (the rules already treat it so; the sweep writes it back).
 */
export const effectiveSettings = <S extends PractitionerSettings>(settings: S, now: Date): S =>
  !settings.inboxOpen && isMessagingOpen(settings, now)
    ? { ...settings, inboxOpen: true, reopensAt: null }
    : settings;

/**
 * Applies control fields in one conditional write (optimistic on the controls
 * version) and publishes InboxClosed / InboxOpened only on an actual change.
 * Reopening clears the reopening date; a date is only accepted while closed,
 * and must be in the future.
 */
export const updateMessagingControls = async (
  deps: Deps,
  actor: PractitionerActor,
  patch: ControlsPatch,
): Promise<PractitionerSettings> => {
  const { practitionerId } = actor;
  const outcome = await withOptimisticRetry(async () => {
    const { settings: stored, version } = await deps.settings.getVersioned(practitionerId);
    const nowDate = deps.clock.now();
    const now = nowDate.toISOString();
    const current = effectiveSettings(stored, nowDate);
    const next = { ...current, ...patch };
    if (next.inboxOpen) {
      if (patch.reopensAt) {
        throw new ValidationError('The request body is not valid', [
          {
            path: ['reopensAt'],
            code: 'custom',
            message: 'A reopening date only applies while the messaging is closed (inboxOpen: false)',
          },
        ]);
      }
      next.reopensAt = null;
    }
    if (patch.reopensAt && Date.parse(patch.reopensAt) <= nowDate.getTime()) {
      throw new ValidationError('The request body is not valid', [
        { path: ['reopensAt'], code: 'custom', message: 'The reopening date must be in the future' },
      ]);
    }
    const changes = { ...patch, inboxOpen: next.inboxOpen, reopensAt: next.reopensAt };
    const events: PublishedEvent[] = [];
    // A closure that came due is reopened by this write (the sweep will not find it any more).
    if (!stored.inboxOpen && current.inboxOpen && stored.reopensAt) {
      events.push(event(InboxOpened, { practitionerId, openedAt: stored.reopensAt, trigger: 'schedule' }));
    }
    if (!current.inboxOpen && next.inboxOpen) {
      events.push(event(InboxOpened, { practitionerId, openedAt: now, trigger: 'practitioner' }));
    }
    if (current.inboxOpen && !next.inboxOpen) {
      events.push(event(InboxClosed, { practitionerId, closedAt: now, reopensAt: next.reopensAt }));
    }
    await deps.settings.updateControls(
      practitionerId,
      changes,
      { expectedVersion: version, closedUntil: next.inboxOpen ? null : next.reopensAt, now },
      deps.outbox.items(events),
    );
    return { saved: { ...stored, ...changes, updatedAt: now }, now: nowDate };
  });
  return effectiveSettings(outcome.saved, outcome.now);
};

/**
 * The scheduled `inbox-reopen` sweep: every closure whose reopening date has
 * come, from the sparse gsi5 partition, reopened by a conditional write (so two
 * sweeps, or a sweep and a PATCH, reopen it once) and announced once.
 */
export const reopenDueInboxes = async (deps: Deps, options: { pageSize?: number } = {}) => {
  const now = deps.clock.now().toISOString();
  let reopened = 0;
  let seen = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.settings.listDueReopenings(now, options.pageSize ?? 100, startKey);
    for (const due of page.items) {
      seen += 1;
      const opened = event(InboxOpened, {
        practitionerId: due.practitionerId,
        openedAt: due.reopensAt,
        trigger: 'schedule',
      });
      if (
        await deps.settings.reopenIfDue(due.practitionerId, due.reopensAt, now, deps.outbox.items([opened]))
      ) {
        reopened += 1;
      }
    }
    startKey = page.lastKey;
  } while (startKey);
  return { due: seen, reopened };
};

// --- retract / archive ---------------------------------------------------------------------------

/**
 * DELETE /threads/{threadId}/messages/{messageId}: the practitioner's own
 * message, if the patient has not read it (409 otherwise; 403 for a patient's
 * message). The body is removed, a tombstone stays, the unread counters lose it
 * in the same transaction (the thread version guards against a concurrent read).
 * Retracting a retracted message answers the tombstone again.
 */
export const retractMessage = async (
  deps: Deps,
  actor: PractitionerActor,
  threadId: string,
  messageId: string,
) => {
  const result = await withOptimisticRetry(async () => {
    const [before, message] = await Promise.all([
      loadOwnedThread(deps, threadId, actor),
      deps.threads.getMessage(threadId, messageId),
    ]);
    if (!message) throw new NotFound('Message');
    if (message.retracted) return { thread: before, message };
    const retractedAt = deps.clock.now().toISOString();
    const { thread: after, delta } = retractPractitionerMessage(before, message);
    await deps.threads.commit({
      before,
      after,
      guard: 'none',
      delta,
      extraItems: [deps.threads.retractionItem(threadId, messageId, retractedAt)],
      events: [
        event(MessageRetracted, {
          threadId,
          messageId,
          practitionerId: after.practitionerId,
          patientId: after.patientId,
          retractedAt,
        }),
      ],
    });
    return { thread: after, message: { ...message, body: '', retracted: true, retractedAt } };
  });
  return {
    thread: practitionerThreadView(result.thread),
    message: practitionerMessageView(
      result.thread,
      result.message,
      await spilledMarksFor(deps, result.thread, [result.message]),
    ),
  };
};

/**
 * DELETE /threads/{threadId}: a closed thread leaves the practitioner's lists
 * (409 on an open one). Nothing is deleted: the thread and its messages stay,
 * readable by id and in the patient's list. Idempotent.
 */
export const archivePractitionerThread = async (deps: Deps, actor: PractitionerActor, threadId: string) => {
  const result = await withOptimisticRetry(async () => {
    const before = await loadOwnedThread(deps, threadId, actor);
    if (before.archived) return { thread: before };
    const archivedAt = deps.clock.now().toISOString();
    const { thread: after, delta } = archiveThread(before, archivedAt);
    await deps.threads.commit({
      before,
      after,
      guard: 'none',
      delta,
      events: [
        event(ThreadArchived, {
          threadId,
          practitionerId: after.practitionerId,
          patientId: after.patientId,
          archivedAt,
        }),
      ],
    });
    return { thread: after };
  });
  return { thread: practitionerThreadView(result.thread) };
};
