import { MessageReceived } from '../../events/message-received.ts';
import { MessagesRead } from '../../events/messages-read.ts';
import { ThreadStarted } from '../../events/thread-started.ts';
import { withOptimisticRetry } from '../db/transactions.ts';
import { addPatientMessage, openPatientRequest, readByPatient } from '../domain/thread-rules.ts';
import type { Message, Thread } from '../domain/types.ts';
import { EMERGENCY_NOTICE, patientMessageView, patientThreadView } from '../domain/views.ts';
import { event, type PublishedEvent } from '../runtime/publisher.ts';
import type { Deps, PatientActor } from './deps.ts';
import { publishAfterCommit } from './publish.ts';
import { loadOwnedThread, loadOwnedThreadWithMessages, newMessage } from './threads-common.ts';

const messageReceived = (thread: Thread, message: Message): PublishedEvent =>
  event(MessageReceived, {
    threadId: thread.id,
    messageId: message.id,
    practitionerId: thread.practitionerId,
    patientId: thread.patientId,
    receivedAt: message.sentAt,
  });

export const startPatientRequest = async (
  deps: Deps,
  actor: PatientActor,
  input: { practitionerId: string; body: string },
) => {
  const now = deps.clock.now().toISOString();
  const { thread, delta } = openPatientRequest({
    id: deps.ids.next(),
    practitionerId: input.practitionerId,
    patientId: actor.patientId,
    appointmentId: null,
    now,
  });
  const message = newMessage(deps, thread, {
    sender: 'patient',
    body: input.body,
    sentAt: now,
    replyPolicy: null,
  });
  await deps.threads.commit({
    before: null,
    after: thread,
    guard: 'none',
    message,
    delta,
    requirePatientRecord: true,
  });
  await publishAfterCommit(deps, [
    event(ThreadStarted, {
      threadId: thread.id,
      practitionerId: thread.practitionerId,
      patientId: thread.patientId,
      origin: 'patient',
      appointmentId: null,
      startedAt: now,
    }),
    messageReceived(thread, message),
  ]);
  return {
    thread: patientThreadView(thread),
    message: patientMessageView(message),
    notice: EMERGENCY_NOTICE,
  };
};

export const writeAsPatient = async (
  deps: Deps,
  actor: PatientActor,
  threadId: string,
  input: { body: string },
) => {
  const { after, message } = await withOptimisticRetry(async () => {
    const before = await loadOwnedThread(deps, threadId, actor);
    const now = deps.clock.now().toISOString();
    const { thread: after, delta } = addPatientMessage(before, now);
    const message = newMessage(deps, after, {
      sender: 'patient',
      body: input.body,
      sentAt: now,
      replyPolicy: null,
    });
    await deps.threads.commit({ before, after, guard: 'patientMayWrite', message, delta });
    return { after, message };
  });
  await publishAfterCommit(deps, [messageReceived(after, message)]);
  return { thread: patientThreadView(after), message: patientMessageView(message), notice: EMERGENCY_NOTICE };
};

export const readAsPatient = async (deps: Deps, actor: PatientActor, threadId: string) => {
  const result = await withOptimisticRetry(async () => {
    const before = await loadOwnedThread(deps, threadId, actor);
    if (before.unreadForPatient === 0) return { thread: before, count: 0, readAt: null };
    const readAt = deps.clock.now().toISOString();
    const { thread, delta } = readByPatient(before, readAt);
    await deps.threads.commit({ before, after: thread, guard: 'none', delta });
    return { thread, count: before.unreadForPatient, readAt };
  });
  if (result.readAt) {
    await publishAfterCommit(deps, [
      event(MessagesRead, {
        threadId: result.thread.id,
        practitionerId: result.thread.practitionerId,
        patientId: result.thread.patientId,
        reader: 'patient',
        count: result.count,
        readAt: result.readAt,
      }),
    ]);
  }
  return { thread: patientThreadView(result.thread), notice: EMERGENCY_NOTICE };
};

export const getPatientThread = async (deps: Deps, actor: PatientActor, threadId: string) => {
  const { thread, messages } = await loadOwnedThreadWithMessages(deps, threadId, actor);
  return {
    thread: patientThreadView(thread),
    messages: messages.map(patientMessageView),
    notice: EMERGENCY_NOTICE,
  };
};

export const listPatientThreads = async (
  deps: Deps,
  actor: PatientActor,
  query: { limit: number; cursor?: string },
) => {
  const page = await deps.threads.listPatientThreads(actor.patientId, query);
  return {
    items: page.items.map((t) => patientThreadView(t)),
    nextCursor: page.nextCursor,
    notice: EMERGENCY_NOTICE,
  };
};

export const patientSummary = (deps: Deps, actor: PatientActor) => deps.counters.patient(actor.patientId);
