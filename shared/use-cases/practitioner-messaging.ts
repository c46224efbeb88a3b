import { MessageSent } from '../../events/message-sent.ts';
import { ThreadTreated } from '../../events/thread-treated.ts';
import type { PractitionerInboxFilter } from '../db/keys.ts';
import { withOptimisticRetry } from '../db/transactions.ts';
import type { Appointment } from '../domain/appointments.ts';
import { NotFound, NotInPatientBase } from '../domain/errors.ts';
import { addPractitionerMessage, markTreated, readByPractitioner, seenUpTo } from '../domain/thread-rules.ts';
import type { Message, ReplyPolicy, Thread } from '../domain/types.ts';
import {
  practitionerMessageView,
  practitionerThreadView,
  type ThreadPageRequest,
  threadPageRequest,
} from '../domain/views.ts';
import type { ExtraTransactItem } from '../repositories/thread-repository.ts';
import { event, type PublishedEvent } from '../runtime/publisher.ts';
import { recordAuditIf } from './audit.ts';
import { composeMessage, loadAppointmentFor, type MessageContent } from './compose-message.ts';
import type { Deps, PractitionerActor } from './deps.ts';
import { attachableRefs, takeAttachments } from './message-attachments.ts';
import { countCommitted } from './publish.ts';
import { assertNothingUnseen, loadThreadToTreat } from './safe-treat.ts';
import {
  commitNewPractitionerThread,
  isOwnedBy,
  loadOwnedThread,
  messageSentEvent,
  messagesReadEvent,
  newMessage,
  spilledMarksFor,
} from './threads-common.ts';
import { commitThreadChange } from './treated-stamp.ts';

/**
 * A reply's text and policy. A template is rendered for the thread's patient
 * and, when the thread is about an appointment, that appointment.
 */
const composeReply = async (
  deps: Deps,
  actor: PractitionerActor,
  threadId: string,
  input: MessageContent & { replyPolicy?: ReplyPolicy },
) => {
  if (input.templateId === undefined) {
    return composeMessage(deps, actor.practitionerId, input, null, input.replyPolicy);
  }
  const thread = await loadOwnedThread(deps, threadId, actor);
  const appointment = thread.appointmentId
    ? await deps.appointments.get(actor.practitionerId, thread.appointmentId)
    : null;
  return composeMessage(
    deps,
    actor.practitionerId,
    input,
    { patientId: thread.patientId, appointment },
    input.replyPolicy,
  );
};

const ownerOf = (actor: PractitionerActor) => ({ role: 'practitioner', id: actor.practitionerId }) as const;

const threadTreated = (before: Thread, after: Thread): PublishedEvent =>
  event(ThreadTreated, {
    threadId: after.id,
    practitionerId: after.practitionerId,
    patientId: after.patientId,
    treatedMessages: before.untreatedCount,
    treatedAt: after.treatedAt ?? after.lastMessageAt,
  });

/**
 * A new thread to a patient, with a typed body or a template rendered for them;
 * with `appointmentId` (the practitioner's appointment with this patient, else
 * 404) the thread carries it and the template may use the appointment's
 * variables. `extraItems` join the transaction (an automation's exactly-once
 * marker, its appointment check).
 */
export const startPractitionerThread = async (
  deps: Deps,
  actor: PractitionerActor,
  input: MessageContent & {
    patientId: string;
    replyPolicy?: ReplyPolicy;
    appointmentId?: string;
    attachmentIds?: string[];
  },
  options: {
    /** Items written in the same transaction, built once the thread and message exist. */
    extraItems?: (created: { thread: Thread; message: Message }) => ExtraTransactItem[];
    appointment?: Appointment;
  } = {},
) => {
  const appointment =
    options.appointment ??
    (input.appointmentId
      ? await loadAppointmentFor(deps, actor.practitionerId, input.appointmentId, input.patientId)
      : null);
  const { body, replyPolicy } = await composeMessage(
    deps,
    actor.practitionerId,
    input,
    { patientId: input.patientId, appointment },
    input.replyPolicy,
  );
  const attachments = await attachableRefs(deps, ownerOf(actor), input.attachmentIds);
  let created: { thread: Thread; message: Message };
  try {
    created = await commitNewPractitionerThread(
      deps,
      {
        practitionerId: actor.practitionerId,
        patientId: input.patientId,
        appointmentId: appointment?.appointmentId ?? null,
        body,
        replyPolicy,
        attachments,
      },
      options.extraItems,
    );
  } catch (error) {
    // For the practitioner, a patient outside their base is simply an unknown patient.
    if (error instanceof NotInPatientBase) throw new NotFound('Patient');
    throw error;
  }
  const { thread, message } = created;
  countCommitted([MessageSent]);
  // A new thread has no read marks: nothing spilled, nothing read.
  return { thread: practitionerThreadView(thread), message: practitionerMessageView(thread, message, null) };
};

/**
 * A reply; with `markTreated` it also closes the thread, in the same transaction,
 * under the safe-treat rule (safe-treat.ts): `lastSeenMessageId`, or without it
 * the practitioner's last read, must cover every patient message — the reply
 * itself counts as a read only of what was seen before it. Else 409
 * THREAD_CHANGED and nothing is sent.
 */
export const replyAsPractitioner = async (
  deps: Deps,
  actor: PractitionerActor,
  threadId: string,
  input: MessageContent & {
    replyPolicy?: ReplyPolicy;
    markTreated?: boolean;
    lastSeenMessageId?: string;
    attachmentIds?: string[];
  },
) => {
  const [{ body, replyPolicy }, attachments] = await Promise.all([
    composeReply(deps, actor, threadId, input),
    attachableRefs(deps, ownerOf(actor), input.attachmentIds),
  ]);
  const treat = input.markTreated === true;
  const seen = seenUpTo(input.lastSeenMessageId);
  const { after, message } = await withOptimisticRetry(async () => {
    const before = treat
      ? await loadThreadToTreat(deps, threadId, actor, seen)
      : await loadOwnedThread(deps, threadId, actor);
    const now = deps.clock.now().toISOString();
    const { thread: after, delta } = addPractitionerMessage(before, { replyPolicy, markTreated: treat, now });
    if (treat) await assertNothingUnseen(deps, before, seen);
    const message = newMessage(deps, after, {
      sender: 'practitioner',
      body,
      sentAt: now,
      replyPolicy,
      ...(attachments.length > 0 && { attachments }),
    });
    const taken = takeAttachments(deps, ownerOf(actor), message);
    await commitThreadChange(deps, {
      before,
      after,
      guard: 'open',
      message,
      delta,
      ...(taken.length > 0 && { extraItems: taken }),
      ...(treat && { treatCondition: seen }),
      events: [
        messageSentEvent(after, message),
        ...(after.status === 'closed' ? [threadTreated(before, after)] : []),
      ],
    });
    return { after, message };
  });
  countCommitted([MessageSent]);
  return {
    thread: practitionerThreadView(after),
    message: practitionerMessageView(after, message, await spilledMarksFor(deps, after, [message])),
  };
};

/**
 * Marks the thread treated (it closes) when every patient message in it was seen:
 * none newer than `lastSeenMessageId`, or without it, none since the
 * practitioner's last read — else 409 THREAD_CHANGED naming the newer ones, and
 * nothing changes (safe-treat.ts). The database holds the same condition.
 */
export const treatThread = async (
  deps: Deps,
  actor: PractitionerActor,
  threadId: string,
  input: { lastSeenMessageId?: string } = {},
) => {
  const seen = seenUpTo(input.lastSeenMessageId);
  const after = await withOptimisticRetry(async () => {
    const before = await loadThreadToTreat(deps, threadId, actor, seen);
    const { thread: after, delta } = markTreated(before, deps.clock.now().toISOString());
    await assertNothingUnseen(deps, before, seen);
    await commitThreadChange(deps, {
      before,
      after,
      guard: 'open',
      delta,
      treatCondition: seen,
      events: [threadTreated(before, after)],
    });
    return after;
  });
  return { thread: practitionerThreadView(after) };
};

export const readAsPractitioner = async (deps: Deps, actor: PractitionerActor, threadId: string) => {
  const result = await withOptimisticRetry(async () => {
    const before = await loadOwnedThread(deps, threadId, actor);
    if (before.unreadForPractitioner === 0) return { thread: before, count: 0 };
    const now = deps.clock.now().toISOString();
    const { thread, delta } = readByPractitioner(before, now);
    await deps.threads.commit({
      before,
      after: thread,
      guard: 'none',
      delta,
      events: [
        messagesReadEvent(thread, {
          reader: 'practitioner',
          count: before.unreadForPractitioner,
          readAt: thread.practitionerReadAt ?? now,
        }),
      ],
    });
    return { thread, count: before.unreadForPractitioner };
  });
  return { thread: practitionerThreadView(result.thread) };
};

/**
 * A page of the thread (the newest messages, oldest first; `nextCursor` leads to
 * older ones) with its read receipts, which come from the thread item and so
 * are right on every page.
 */
export const getPractitionerThread = async (
  deps: Deps,
  actor: PractitionerActor,
  threadId: string,
  page: ThreadPageRequest = {},
) => {
  const request = threadPageRequest(page);
  const before = deps.threads.pagePosition(threadId, request.cursor) ?? 'newest';
  // Every practitioner read of a thread's content is audited, beside the read (one wave of calls):
  // the entry is written only if the thread is theirs, and if it cannot be written nothing is shown.
  const [found, audited] = await Promise.all([
    deps.threads.getThreadPage(threadId, request),
    recordAuditIf(
      deps,
      deps.threads.ownedByPractitioner(threadId, actor.practitionerId),
      { kind: 'thread', threadId },
      [
        {
          action: 'thread.viewed',
          objects: { threadId, practitionerId: actor.practitionerId },
          // The page asked for: the `limit` newest messages, before `before` when paging back.
          details: { limit: request.limit, before },
        },
      ],
    ),
  ]);
  if (!found || !audited || !isOwnedBy(found.thread, actor)) throw new NotFound('Thread');
  const { thread, messages, nextCursor } = found;
  // Receipts older than the read marks the thread item keeps: one more Query, only then (ADR 0007).
  const spilled = await spilledMarksFor(deps, thread, messages);
  return {
    thread: practitionerThreadView(thread),
    messages: messages.map((m) => practitionerMessageView(thread, m, spilled)),
    nextCursor,
  };
};

/**
 * The inbox; with `assignee` (triage, SPEC 11.2) the open threads of `me` (whoever
 * calls: the practitioner or the assistant acting for them), `none` or an id.
 */
export const listPractitionerThreads = async (
  deps: Deps,
  actor: PractitionerActor,
  query: { filter: PractitionerInboxFilter; limit: number; cursor?: string; assignee?: string },
  callerId: string = actor.practitionerId,
) => {
  const assignee =
    query.assignee === undefined
      ? undefined
      : { id: query.assignee === 'me' ? callerId : query.assignee === 'none' ? null : query.assignee };
  const page = await deps.threads.listPractitionerThreads(
    actor.practitionerId,
    query.filter,
    query,
    assignee,
  );
  return { items: page.items.map(practitionerThreadView), nextCursor: page.nextCursor };
};

/** With `assistantId` (an assistant calls): how many open threads are assigned to them, too. */
export const practitionerSummary = async (deps: Deps, actor: PractitionerActor, assistantId?: string) => {
  const [counters, assignedToMe] = await Promise.all([
    deps.counters.practitioner(actor.practitionerId),
    assistantId === undefined ? undefined : deps.threads.countAssigned(actor.practitionerId, assistantId),
  ]);
  return { ...counters, ...(assignedToMe !== undefined && { assignedToMe }) };
};
