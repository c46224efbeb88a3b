import { MessageSent } from '../../events/message-sent.ts';
import { MessagesRead } from '../../events/messages-read.ts';
import { ThreadStarted } from '../../events/thread-started.ts';
import { ThreadTreated } from '../../events/thread-treated.ts';
import type { PractitionerInboxFilter } from '../db/keys.ts';
import { withOptimisticRetry } from '../db/transactions.ts';
import { NotFound, NotInPatientBase } from '../domain/errors.ts';
import {
  addPractitionerMessage,
  markTreated,
  openPractitionerThread,
  readByPractitioner,
} from '../domain/thread-rules.ts';
import type { Message, ReplyPolicy, Thread } from '../domain/types.ts';
import { practitionerMessageView, practitionerThreadView } from '../domain/views.ts';
import { event, type PublishedEvent } from '../runtime/publisher.ts';
import type { Deps, PractitionerActor } from './deps.ts';
import { publishAfterCommit } from './publish.ts';
import { loadOwnedThread, loadOwnedThreadWithMessages, newMessage } from './threads-common.ts';

const messageSent = (thread: Thread, message: Message): PublishedEvent =>
  event(MessageSent, {
    threadId: thread.id,
    messageId: message.id,
    practitionerId: thread.practitionerId,
    patientId: thread.patientId,
    replyPolicy: thread.replyPolicy,
    sentAt: message.sentAt,
  });

const threadTreated = (before: Thread, after: Thread): PublishedEvent =>
  event(ThreadTreated, {
    threadId: after.id,
    practitionerId: after.practitionerId,
    patientId: after.patientId,
    treatedMessages: before.untreatedCount,
    treatedAt: after.treatedAt ?? after.lastMessageAt,
  });

const resolvePolicy = async (deps: Deps, actor: PractitionerActor, requested: ReplyPolicy | undefined) =>
  requested ?? (await deps.settings.get(actor.practitionerId)).defaultReplyPolicy;

export const startPractitionerThread = async (
  deps: Deps,
  actor: PractitionerActor,
  input: { patientId: string; body: string; replyPolicy?: ReplyPolicy },
) => {
  const replyPolicy = await resolvePolicy(deps, actor, input.replyPolicy);
  const now = deps.clock.now().toISOString();
  const { thread, delta } = openPractitionerThread({
    id: deps.ids.next(),
    practitionerId: actor.practitionerId,
    patientId: input.patientId,
    appointmentId: null,
    replyPolicy,
    now,
  });
  const message = newMessage(deps, thread, {
    sender: 'practitioner',
    body: input.body,
    sentAt: now,
    replyPolicy,
  });
  try {
    await deps.threads.commit({
      before: null,
      after: thread,
      guard: 'none',
      message,
      delta,
      requirePatientRecord: true,
    });
  } catch (error) {
    // For the practitioner, a patient outside their base is simply an unknown patient.
    if (error instanceof NotInPatientBase) throw new NotFound('Patient');
    throw error;
  }
  await publishAfterCommit(deps, [
    event(ThreadStarted, {
      threadId: thread.id,
      practitionerId: thread.practitionerId,
      patientId: thread.patientId,
      origin: 'practitioner',
      appointmentId: null,
      startedAt: now,
    }),
    messageSent(thread, message),
  ]);
  return { thread: practitionerThreadView(thread), message: practitionerMessageView(thread, message) };
};

export const replyAsPractitioner = async (
  deps: Deps,
  actor: PractitionerActor,
  threadId: string,
  input: { body: string; replyPolicy?: ReplyPolicy; markTreated?: boolean },
) => {
  const replyPolicy = await resolvePolicy(deps, actor, input.replyPolicy);
  const { before, after, message } = await withOptimisticRetry(async () => {
    const before = await loadOwnedThread(deps, threadId, actor);
    const now = deps.clock.now().toISOString();
    const { thread: after, delta } = addPractitionerMessage(before, {
      replyPolicy,
      markTreated: input.markTreated === true,
      now,
    });
    const message = newMessage(deps, after, {
      sender: 'practitioner',
      body: input.body,
      sentAt: now,
      replyPolicy,
    });
    await deps.threads.commit({ before, after, guard: 'open', message, delta });
    return { before, after, message };
  });
  await publishAfterCommit(deps, [
    messageSent(after, message),
    ...(after.status === 'closed' ? [threadTreated(before, after)] : []),
  ]);
  return { thread: practitionerThreadView(after), message: practitionerMessageView(after, message) };
};

export const treatThread = async (deps: Deps, actor: PractitionerActor, threadId: string) => {
  const { before, after } = await withOptimisticRetry(async () => {
    const before = await loadOwnedThread(deps, threadId, actor);
    const { thread: after, delta } = markTreated(before, deps.clock.now().toISOString());
    await deps.threads.commit({ before, after, guard: 'open', delta });
    return { before, after };
  });
  await publishAfterCommit(deps, [threadTreated(before, after)]);
  return { thread: practitionerThreadView(after) };
};

export const readAsPractitioner = async (deps: Deps, actor: PractitionerActor, threadId: string) => {
  const result = await withOptimisticRetry(async () => {
    const before = await loadOwnedThread(deps, threadId, actor);
    if (before.unreadForPractitioner === 0) return { thread: before, count: 0 };
    const now = deps.clock.now().toISOString();
    const { thread, delta } = readByPractitioner(before, now);
    await deps.threads.commit({ before, after: thread, guard: 'none', delta });
    return { thread, count: before.unreadForPractitioner };
  });
  if (result.count > 0) {
    await publishAfterCommit(deps, [
      event(MessagesRead, {
        threadId: result.thread.id,
        practitionerId: result.thread.practitionerId,
        patientId: result.thread.patientId,
        reader: 'practitioner',
        count: result.count,
        readAt: result.thread.practitionerReadAt ?? deps.clock.now().toISOString(),
      }),
    ]);
  }
  return { thread: practitionerThreadView(result.thread) };
};

export const getPractitionerThread = async (deps: Deps, actor: PractitionerActor, threadId: string) => {
  const { thread, messages } = await loadOwnedThreadWithMessages(deps, threadId, actor);
  return {
    thread: practitionerThreadView(thread),
    messages: messages.map((m) => practitionerMessageView(thread, m)),
  };
};

export const listPractitionerThreads = async (
  deps: Deps,
  actor: PractitionerActor,
  query: { filter: PractitionerInboxFilter; limit: number; cursor?: string },
) => {
  const page = await deps.threads.listPractitionerThreads(actor.practitionerId, query.filter, query);
  return { items: page.items.map(practitionerThreadView), nextCursor: page.nextCursor };
};

export const practitionerSummary = (deps: Deps, actor: PractitionerActor) =>
  deps.counters.practitioner(actor.practitionerId);
