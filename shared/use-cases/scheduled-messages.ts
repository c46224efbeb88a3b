/**
 * Deferred sending (différer l'envoi): `sendAt` on a new thread, a reply or a
 * message from the appointment window stores a scheduled message and, in the
 * same transaction, a due-work item (kind `scheduled-message`) that the
 * `due-work` schedule runs at its time (shared/use-cases/due-work.ts).
 *
 * - Nothing is written in any thread before delivery: the patient cannot see it.
 * - Delivery is exactly-once: the message's transaction moves the scheduled
 *   message from `scheduled` to `sent` (a condition), so a double sweep, a
 *   re-run after a crash or a racing cancellation cannot produce a second
 *   message; a cancellation and a delivery are decided by that same condition.
 * - The rules are those of the delivery time (it is a practitioner message:
 *   block and closed messaging do not stop it; a thread closed meanwhile or a
 *   patient no longer in the base refuse it, and the refusal is recorded).
 * - A template's text is copied when scheduling (editing or deleting the
 *   template later changes nothing) and rendered at delivery, with the values
 *   of that moment; a variable without value then refuses it.
 */

import { MessageScheduled } from '../../events/message-scheduled.ts';
import { MessageSent } from '../../events/message-sent.ts';
import { ScheduledMessageCancelled } from '../../events/scheduled-message-cancelled.ts';
import { ScheduledMessageRefused } from '../../events/scheduled-message-refused.ts';
import {
  cancellationCodes,
  type GuardedItem,
  type TransactItem,
  withOptimisticRetry,
} from '../db/transactions.ts';
import type { Appointment } from '../domain/appointments.ts';
import { ATTACHMENT_LIMITS, attachmentNotUsable } from '../domain/attachments.ts';
import { addMs } from '../domain/due-work.ts';
import { Conflict, DomainError, NotFound, ThreadClosed, ValidationError } from '../domain/errors.ts';
import {
  type ScheduledMessage,
  type ScheduledMessageKind,
  scheduledMessageWorkId,
  sendAtRefusal,
} from '../domain/scheduled-messages.ts';
import { addPractitionerMessage } from '../domain/thread-rules.ts';
import type { ReplyPolicy, Thread } from '../domain/types.ts';
import { addTo, removeFrom, withRelease } from '../repositories/quota-repository.ts';
import type { ExtraTransactItem } from '../repositories/thread-repository.ts';
import { logger, metrics } from '../runtime/logger.ts';
import { event } from '../runtime/publisher.ts';
import * as z from '../validation.ts';
import {
  composeMessage,
  loadAppointmentFor,
  loadTemplate,
  type MessageContent,
  renderForMessage,
  templateContext,
} from './compose-message.ts';
import type { Deps, PractitionerActor } from './deps.ts';
import { attachableRefs, takeAttachments } from './message-attachments.ts';
import { countCommitted } from './publish.ts';
import {
  commitNewPractitionerThread,
  loadOwnedThread,
  messageSentEvent,
  newMessage,
} from './threads-common.ts';
import { commitThreadChange } from './treated-stamp.ts';

const PENDING = 'pendingScheduledMessagesPerPractitioner';

/**
 * Runs the end of a scheduled message (sent, cancelled, refused, failed) with the release of its
 * pending count: in the end's own transaction, which is conditioned on `scheduled`, so whichever end
 * commits releases once and the others release nothing. Only for a counted message; a count
 * missing altogether (NothingToRelease) lets the end commit without it.
 */
const endingWithRelease = <T>(
  deps: Pick<Deps, 'quotas'>,
  scheduled: Pick<ScheduledMessage, 'practitionerId' | 'quotaCounted'>,
  run: (release: ExtraTransactItem[]) => Promise<T>,
): Promise<T> =>
  scheduled.quotaCounted
    ? withRelease(removeFrom(deps.quotas, scheduled.practitionerId, PENDING), run)
    : run([]);

export const scheduledMessageView = (message: ScheduledMessage) => ({
  id: message.id,
  status: message.status,
  kind: message.kind,
  sendAt: message.sendAt,
  patientId: message.patientId,
  /** The thread answered; for a new thread, the thread it opened once sent (null before). */
  threadId: message.threadId,
  appointmentId: message.appointmentId,
  replyPolicy: message.replyPolicy,
  /** The typed text; null when it is a template (rendered at delivery). */
  body: message.body,
  templateId: message.templateId,
  createdAt: message.createdAt,
  messageId: message.messageId,
  sentAt: message.sentAt,
  cancelledAt: message.cancelledAt,
  refusedAt: message.refusedAt,
  refusalReason: message.refusalReason,
  refusalDetails: message.refusalDetails,
});

export type ScheduledMessageView = ReturnType<typeof scheduledMessageView>;

const checkSendAt = (deps: Pick<Deps, 'clock'>, sendAt: string) => {
  const refusal = sendAtRefusal(sendAt, deps.clock.now());
  if (refusal) {
    throw new ValidationError('The send time is not valid', [
      { path: ['sendAt'], code: 'custom', message: refusal },
    ]);
  }
};

interface ScheduleTarget {
  kind: ScheduledMessageKind;
  patientId: string;
  thread: Thread | null;
  appointment: Appointment | null;
}

/**
 * Checks now what can be checked now (the patient is in the base, the thread is
 * open, the template exists and renders with today's values), then stores the
 * message and its due work in one transaction.
 */
const schedule = async (
  deps: Deps,
  actor: PractitionerActor,
  target: ScheduleTarget,
  input: MessageContent & { replyPolicy?: ReplyPolicy; sendAt: string; attachmentIds?: string[] },
): Promise<ScheduledMessageView> => {
  const { practitionerId } = actor;
  const owner = { role: 'practitioner', id: practitionerId } as const;
  const attachments = await attachableRefs(deps, owner, input.attachmentIds);
  const template =
    input.templateId !== undefined ? await loadTemplate(deps, practitionerId, input.templateId) : undefined;
  if (template === undefined && target.kind === 'new-thread') {
    // A template render checks the record itself; a typed text needs the same answer for the same patient.
    if (!(await deps.patients.get(practitionerId, target.patientId))) throw new NotFound('Patient');
  }
  const composed = await composeMessage(
    deps,
    practitionerId,
    input,
    { patientId: target.patientId, appointment: target.appointment },
    input.replyPolicy,
    template ? { template } : {},
  );
  const now = deps.clock.now().toISOString();
  const message: ScheduledMessage = {
    id: deps.ids.next(),
    practitionerId,
    patientId: target.patientId,
    kind: target.kind,
    threadId: target.thread?.id ?? null,
    appointmentId: target.appointment?.appointmentId ?? target.thread?.appointmentId ?? null,
    replyPolicy: composed.replyPolicy,
    body: template ? null : composed.body,
    templateId: template?.id ?? null,
    templateBody: template?.body ?? null,
    sendAt: input.sendAt,
    status: 'scheduled',
    createdAt: now,
    messageId: null,
    sentAt: null,
    cancelledAt: null,
    refusedAt: null,
    refusalReason: null,
    refusalDetails: null,
    quotaCounted: true,
    ...(attachments.length > 0 && { attachments }),
    // Sent later by the system: the assistant who scheduled it still signs it (SPEC 11.2).
    ...(deps.auditContext?.author && { author: deps.auditContext.author }),
  };
  const ids = attachments.map((a) => a.id);
  // Reserved now (no other message takes them, the 24-hour expiry leaves them), each with its own expiry
  // a day after sendAt in case the delivery never comes (cancelled, refused).
  const reservations = [
    ...deps.attachments.reserveItems(owner, ids, message.id, message.sendAt),
    ...ids.map((attachmentId) =>
      deps.dueWork.scheduleTransactItem(
        {
          workId: `attachment-expiry-${attachmentId}-${message.id}`,
          kind: 'attachment-expiry',
          payload: { attachmentId, reservedFor: message.id },
          dueAt: addMs(message.sendAt, ATTACHMENT_LIMITS.unusedMs),
        },
        now,
      ),
    ),
  ];
  await createReserving(
    deps,
    message,
    reservations,
    deps.dueWork.scheduleTransactItem(
      {
        workId: scheduledMessageWorkId(practitionerId, message.id),
        kind: 'scheduled-message',
        payload: { practitionerId, scheduledMessageId: message.id },
        dueAt: message.sendAt,
      },
      now,
    ),
    deps.outbox.items([
      event(MessageScheduled, {
        scheduledMessageId: message.id,
        practitionerId,
        patientId: message.patientId,
        threadId: message.threadId,
        sendAt: message.sendAt,
        scheduledAt: now,
      }),
    ]),
    // One more pending for the practitioner: 429 QUOTA_EXCEEDED at the limit, nothing stored.
    [addTo(deps.quotas, practitionerId, PENDING)],
  );
  return scheduledMessageView(message);
};

/**
 * The scheduled message, its due work, its event and its attachments' reservations in one transaction;
 * a reservation whose condition fails (taken meanwhile) is the same 400 as an attach.
 */
const createReserving = async (
  deps: Deps,
  message: ScheduledMessage,
  reservations: readonly TransactItem[],
  dueWork: TransactItem,
  outboxItems: readonly TransactItem[],
  guards: readonly GuardedItem[],
) => {
  try {
    // A failed guard (the pending quota) is refused by the repository; a failed reservation is answered here.
    await deps.scheduledMessages.create(message, dueWork, [...outboxItems, ...reservations], guards);
  } catch (error) {
    const codes = cancellationCodes(error);
    const failed = codes?.findIndex(
      (code, i) => i >= 2 + outboxItems.length && code === 'ConditionalCheckFailed',
    );
    if (failed !== undefined && failed >= 0) throw attachmentNotUsable(failed - 2 - outboxItems.length);
    throw error;
  }
};

/** POST /threads with `sendAt`: a new thread to this patient, opened at its time. */
export const scheduleNewThread = async (
  deps: Deps,
  actor: PractitionerActor,
  input: MessageContent & {
    patientId: string;
    replyPolicy?: ReplyPolicy;
    appointmentId?: string;
    sendAt: string;
    attachmentIds?: string[];
  },
) => {
  checkSendAt(deps, input.sendAt);
  const appointment = input.appointmentId
    ? await loadAppointmentFor(deps, actor.practitionerId, input.appointmentId, input.patientId)
    : null;
  return schedule(
    deps,
    actor,
    { kind: 'new-thread', patientId: input.patientId, thread: null, appointment },
    input,
  );
};

/** POST /appointments/{id}/messages with `sendAt`: the patient and context come from the appointment. */
export const scheduleFromAppointment = async (
  deps: Deps,
  actor: PractitionerActor,
  appointmentId: string,
  input: MessageContent & { replyPolicy?: ReplyPolicy; sendAt: string; attachmentIds?: string[] },
) => {
  checkSendAt(deps, input.sendAt);
  const appointment = await loadAppointmentFor(deps, actor.practitionerId, appointmentId);
  return schedule(
    deps,
    actor,
    { kind: 'new-thread', patientId: appointment.patientId, thread: null, appointment },
    input,
  );
};

/**
 * POST /threads/{id}/messages with `sendAt`: a reply at its time. A thread closed
 * now is refused now (closed is closed); one closed later refuses the delivery.
 */
export const scheduleReply = async (
  deps: Deps,
  actor: PractitionerActor,
  threadId: string,
  input: MessageContent & { replyPolicy?: ReplyPolicy; sendAt: string; attachmentIds?: string[] },
) => {
  checkSendAt(deps, input.sendAt);
  const thread = await loadOwnedThread(deps, threadId, actor);
  if (thread.status === 'closed') throw new ThreadClosed();
  const appointment = thread.appointmentId
    ? await deps.appointments.get(actor.practitionerId, thread.appointmentId)
    : null;
  return schedule(deps, actor, { kind: 'reply', patientId: thread.patientId, thread, appointment }, input);
};

export const listScheduledMessages = async (
  deps: Deps,
  actor: PractitionerActor,
  query: { status: 'scheduled' | 'all'; limit: number; cursor?: string },
) => {
  const page = await deps.scheduledMessages.list(actor.practitionerId, query.status, query);
  return { items: page.items.map(scheduledMessageView), nextCursor: page.nextCursor };
};

/**
 * Cancels while it is `scheduled` (a conditional write; a delivery committing
 * at the same moment wins or loses as a whole). Cancelling a cancelled message
 * again changes nothing; one already sent, refused or failed is a 409.
 */
export const cancelScheduledMessage = async (
  deps: Deps,
  actor: PractitionerActor,
  scheduledMessageId: string,
): Promise<void> => {
  const { practitionerId } = actor;
  const now = deps.clock.now().toISOString();
  // The repository commits the release only with a counted message (it reads it in the transition).
  const cancelled = await withRelease(removeFrom(deps.quotas, practitionerId, PENDING), (release) =>
    deps.scheduledMessages.cancel(
      practitionerId,
      scheduledMessageId,
      now,
      (message) =>
        deps.outbox.items([
          event(ScheduledMessageCancelled, {
            scheduledMessageId,
            practitionerId,
            patientId: message.patientId,
            cancelledAt: now,
          }),
        ]),
      release,
    ),
  );
  if (!cancelled) {
    const existing = await deps.scheduledMessages.get(practitionerId, scheduledMessageId);
    if (!existing) throw new NotFound('Scheduled message');
    if (existing.status === 'cancelled') return;
    throw new Conflict(`This message is already ${existing.status}; it can no longer be cancelled.`);
  }
  // Tidying only: a run that already holds the due work finds the message cancelled and sends nothing.
  try {
    await deps.dueWork.cancel(scheduledMessageWorkId(practitionerId, scheduledMessageId), now);
  } catch (error) {
    logger.warn('Due work of a cancelled message left in the queue', {
      scheduledMessageId,
      errorName: (error as Error)?.name,
    });
  }
};

/** Payload of the `scheduled-message` due-work kind: ids only. */
export const scheduledMessageWorkSchema = z.strictObject({
  practitionerId: z.string().check(z.minLength(1)),
  scheduledMessageId: z.string().check(z.minLength(1)),
});

export type DeliveryResult =
  | { outcome: 'sent'; threadId: string; messageId: string }
  | { outcome: 'refused'; reason: string }
  | { outcome: 'failed'; reason: string }
  | { outcome: 'skipped'; reason: string };

/** The scheduled message was cancelled (or delivered) between the read and the write. */
class ScheduledMessageChanged extends Error {
  override readonly name = 'ScheduledMessageChanged';
}

/** What the practitioner's rules at delivery time said: recorded on the message, not forced. */
class DeliveryRefused extends Error {
  override readonly name = 'DeliveryRefused';
  constructor(
    readonly reason: string,
    readonly details: Record<string, string> | null = null,
  ) {
    super(`Delivery refused: ${reason}`);
  }
}

/** The text as of now: a typed text as written, a template rendered with today's values. */
const bodyAtDelivery = async (deps: Deps, scheduled: ScheduledMessage): Promise<string> => {
  if (scheduled.templateBody === null) return scheduled.body ?? '';
  const [settings, patient, appointment] = await Promise.all([
    deps.settings.get(scheduled.practitionerId),
    deps.patients.get(scheduled.practitionerId, scheduled.patientId),
    scheduled.appointmentId
      ? deps.appointments.get(scheduled.practitionerId, scheduled.appointmentId)
      : Promise.resolve(null),
  ]);
  if (!patient) throw new DeliveryRefused('NOT_IN_PATIENT_BASE');
  return renderForMessage(scheduled.templateBody, templateContext(patient, settings, appointment));
};

const deliverNewThread = async (deps: Deps, scheduled: ScheduledMessage, body: string) => {
  const { practitionerId, patientId, replyPolicy } = scheduled;
  // The patient must still be in the base (the transaction checks the record, not a read before it).
  const { thread, message } = await endingWithRelease(deps, scheduled, (release) =>
    commitNewPractitionerThread(
      deps,
      {
        practitionerId,
        patientId,
        appointmentId: scheduled.appointmentId,
        body,
        replyPolicy,
        ...(scheduled.attachments && { attachments: scheduled.attachments, reservedFor: scheduled.id }),
        ...(scheduled.author && { author: scheduled.author }),
      },
      ({ thread, message }) => [
        {
          item: deps.scheduledMessages.sentItem(practitionerId, scheduled.id, {
            threadId: thread.id,
            messageId: message.id,
            sentAt: message.sentAt,
          }),
          onConditionFailed: () => new ScheduledMessageChanged(),
        },
        ...release,
      ],
    ),
  );
  countCommitted([MessageSent]);
  return { thread, message };
};

const deliverReply = async (deps: Deps, scheduled: ScheduledMessage, body: string) => {
  const threadId = scheduled.threadId ?? '';
  const { after, message } = await endingWithRelease(deps, scheduled, (release) =>
    withOptimisticRetry(async () => {
      const before = await deps.threads.getThread(threadId);
      if (!before || before.practitionerId !== scheduled.practitionerId)
        throw new DeliveryRefused('NOT_FOUND');
      const now = deps.clock.now().toISOString();
      // A thread closed since scheduling: ThreadClosed, recorded as the refusal.
      const { thread: after, delta } = addPractitionerMessage(before, {
        replyPolicy: scheduled.replyPolicy,
        markTreated: false,
        now,
      });
      const message = newMessage(deps, after, {
        sender: 'practitioner',
        body,
        sentAt: now,
        replyPolicy: scheduled.replyPolicy,
        ...(scheduled.attachments && { attachments: scheduled.attachments }),
        ...(scheduled.author && { author: scheduled.author }),
      });
      const owner = { role: 'practitioner', id: scheduled.practitionerId } as const;
      await commitThreadChange(deps, {
        before,
        after,
        guard: 'open',
        message,
        delta,
        extraItems: [
          {
            item: deps.scheduledMessages.sentItem(scheduled.practitionerId, scheduled.id, {
              threadId,
              messageId: message.id,
              sentAt: now,
            }),
            onConditionFailed: () => new ScheduledMessageChanged(),
          },
          ...release,
          ...takeAttachments(deps, owner, message, scheduled.id),
        ],
        events: [messageSentEvent(after, message)],
      });
      return { after, message };
    }),
  );
  countCommitted([MessageSent]);
  return { thread: after, message };
};

const refusalOf = (error: unknown): DeliveryRefused | null => {
  if (error instanceof DeliveryRefused) return error;
  if (error instanceof DomainError) {
    // NotInPatientBase from the transaction's record check; ThreadClosed; TemplateVariableMissing…
    const variable = (error.details as { variable?: unknown } | undefined)?.variable;
    return new DeliveryRefused(error.code, typeof variable === 'string' ? { variable } : null);
  }
  return null;
};

const recordRefusal = async (
  deps: Deps,
  scheduled: ScheduledMessage,
  status: 'refused' | 'failed',
  refusal: { reason: string; details: Record<string, string> | null },
): Promise<DeliveryResult> => {
  const now = deps.clock.now().toISOString();
  const recorded = await withRelease(removeFrom(deps.quotas, scheduled.practitionerId, PENDING), (release) =>
    deps.scheduledMessages.refuse(
      scheduled.practitionerId,
      scheduled.id,
      { status, reason: refusal.reason, details: refusal.details },
      now,
      () =>
        deps.outbox.items([
          event(ScheduledMessageRefused, {
            scheduledMessageId: scheduled.id,
            practitionerId: scheduled.practitionerId,
            patientId: scheduled.patientId,
            status,
            reason: refusal.reason,
            refusedAt: now,
          }),
        ]),
      release,
    ),
  );
  if (!recorded) return { outcome: 'skipped', reason: 'changed-meanwhile' };
  metrics.addMetric(status === 'refused' ? 'ScheduledMessageRefused' : 'ScheduledMessageFailed', 'Count', 1);
  logger.warn('Scheduled message not delivered', {
    scheduledMessageId: scheduled.id,
    status,
    reason: refusal.reason,
  });
  return status === 'refused'
    ? { outcome: 'refused', reason: refusal.reason }
    : { outcome: 'failed', reason: refusal.reason };
};

/**
 * Delivers one scheduled message at most once; safe to call any number of times,
 * concurrently too. `finalAttempt`: an unexpected error is then recorded as
 * `failed` (visible in the list) instead of being retried again.
 */
export const deliverScheduledMessage = async (
  deps: Deps,
  work: z.infer<typeof scheduledMessageWorkSchema>,
  options: { finalAttempt?: boolean } = {},
): Promise<DeliveryResult> => {
  const scheduled = await deps.scheduledMessages.get(work.practitionerId, work.scheduledMessageId);
  if (!scheduled) return { outcome: 'skipped', reason: 'unknown' };
  // Sent by a run that died after its commit: its MessageSent committed with it (the outbox), nothing to redo.
  if (scheduled.status === 'sent') return { outcome: 'skipped', reason: 'already-sent' };
  if (scheduled.status !== 'scheduled') return { outcome: 'skipped', reason: `already-${scheduled.status}` };
  try {
    const body = await bodyAtDelivery(deps, scheduled);
    const { thread, message } =
      scheduled.kind === 'new-thread'
        ? await deliverNewThread(deps, scheduled, body)
        : await deliverReply(deps, scheduled, body);
    metrics.addMetric('ScheduledMessageSent', 'Count', 1);
    return { outcome: 'sent', threadId: thread.id, messageId: message.id };
  } catch (error) {
    if (error instanceof ScheduledMessageChanged) return { outcome: 'skipped', reason: 'changed-meanwhile' };
    const refusal = refusalOf(error);
    if (refusal) return recordRefusal(deps, scheduled, 'refused', refusal);
    if (options.finalAttempt) {
      return recordRefusal(deps, scheduled, 'failed', { reason: 'DELIVERY_FAILED', details: null });
    }
    throw error;
  }
};
