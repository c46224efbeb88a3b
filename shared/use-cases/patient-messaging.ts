import { MessageReceived } from '../../events/message-received.ts';
import { MessagesRead } from '../../events/messages-read.ts';
import { ThreadStarted } from '../../events/thread-started.ts';
import { withOptimisticRetry } from '../db/transactions.ts';
import { addPatientMessage, openPatientRequest, readByPatient } from '../domain/thread-rules.ts';
import type { Message, Thread } from '../domain/types.ts';
import {
  EMERGENCY_NOTICE,
  patientMessageView,
  patientThreadView,
  type ThreadPageRequest,
  threadPageRequest,
} from '../domain/views.ts';
import { event, type PublishedEvent } from '../runtime/publisher.ts';
import type { Deps, PatientActor } from './deps.ts';
import {
  assertMayStartRequest,
  assertMayWriteInThread,
  controlsGuards,
  readControls,
  threadRefusal,
  threadRefusals,
} from './messaging-access.ts';
import { countCommitted } from './publish.ts';
import { loadOwnedThread, loadOwnedThreadPage, newMessage } from './threads-common.ts';

const messageReceived = (thread: Thread, message: Message): PublishedEvent =>
  event(MessageReceived, {
    threadId: thread.id,
    messageId: message.id,
    practitionerId: thread.practitionerId,
    patientId: thread.patientId,
    receivedAt: message.sentAt,
  });

/** The patient's thread view with canReply from the same rules as the write. */
const patientView = async (deps: Deps, thread: Thread) => {
  const snapshot = await readControls(deps, thread.practitionerId, thread.patientId);
  return patientThreadView(thread, threadRefusal(snapshot, thread, deps.clock.now()));
};

export const startPatientRequest = async (
  deps: Deps,
  actor: PatientActor,
  input: { practitionerId: string; body: string },
) => {
  const { thread, message, snapshot, now } = await withOptimisticRetry(async () => {
    // The practitioner controls decide (messaging-rules.ts); their versions go into the transaction.
    const snapshot = await readControls(deps, input.practitionerId, actor.patientId);
    const nowDate = deps.clock.now();
    assertMayStartRequest(snapshot, nowDate);
    const now = nowDate.toISOString();
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
      // Checks the record exists at the version read (so: in the base, not blocked since).
      extraItems: controlsGuards(deps, snapshot),
      events: [
        event(ThreadStarted, {
          threadId: thread.id,
          practitionerId: thread.practitionerId,
          patientId: thread.patientId,
          origin: 'patient',
          appointmentId: null,
          startedAt: thread.createdAt,
        }),
        messageReceived(thread, message),
      ],
    });
    return { thread, message, snapshot, now: nowDate };
  });
  countCommitted([MessageReceived]);
  return {
    thread: patientThreadView(thread, threadRefusal(snapshot, thread, now)),
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
  const { after, message, snapshot, now } = await withOptimisticRetry(async () => {
    const before = await loadOwnedThread(deps, threadId, actor);
    const snapshot = await readControls(deps, before.practitionerId, actor.patientId);
    const nowDate = deps.clock.now();
    assertMayWriteInThread(snapshot, before, nowDate);
    const now = nowDate.toISOString();
    const { thread: after, delta } = addPatientMessage(before, now);
    const message = newMessage(deps, after, {
      sender: 'patient',
      body: input.body,
      sentAt: now,
      replyPolicy: null,
    });
    await deps.threads.commit({
      before,
      after,
      guard: 'patientMayWrite',
      message,
      delta,
      extraItems: controlsGuards(deps, snapshot),
      events: [messageReceived(after, message)],
    });
    return { after, message, snapshot, now: nowDate };
  });
  countCommitted([MessageReceived]);
  return {
    thread: patientThreadView(after, threadRefusal(snapshot, after, now)),
    message: patientMessageView(message),
    notice: EMERGENCY_NOTICE,
  };
};

export const readAsPatient = async (deps: Deps, actor: PatientActor, threadId: string) => {
  const result = await withOptimisticRetry(async () => {
    const before = await loadOwnedThread(deps, threadId, actor);
    if (before.unreadForPatient === 0) return { thread: before, count: 0, readAt: null };
    const readAt = deps.clock.now().toISOString();
    const { thread, delta } = readByPatient(before, readAt);
    await deps.threads.commit({
      before,
      after: thread,
      guard: 'none',
      delta,
      events: [
        event(MessagesRead, {
          threadId: thread.id,
          practitionerId: thread.practitionerId,
          patientId: thread.patientId,
          reader: 'patient',
          count: before.unreadForPatient,
          readAt,
        }),
      ],
    });
    return { thread, count: before.unreadForPatient, readAt };
  });
  return { thread: await patientView(deps, result.thread), notice: EMERGENCY_NOTICE };
};

/** A page of the thread: the newest messages, oldest first; `nextCursor` leads to older ones. */
export const getPatientThread = async (
  deps: Deps,
  actor: PatientActor,
  threadId: string,
  page: ThreadPageRequest = {},
) => {
  const { thread, messages, nextCursor } = await loadOwnedThreadPage(
    deps,
    threadId,
    actor,
    threadPageRequest(page),
  );
  return {
    thread: await patientView(deps, thread),
    messages: messages.map(patientMessageView),
    nextCursor,
    notice: EMERGENCY_NOTICE,
  };
};

export const listPatientThreads = async (
  deps: Deps,
  actor: PatientActor,
  query: { limit: number; cursor?: string },
) => {
  const page = await deps.threads.listPatientThreads(actor.patientId, query);
  const refusals = await threadRefusals(deps, actor.patientId, page.items);
  return {
    items: page.items.map((t) => patientThreadView(t, refusals.get(t.id) ?? null)),
    nextCursor: page.nextCursor,
    notice: EMERGENCY_NOTICE,
  };
};

export const patientSummary = (deps: Deps, actor: PatientActor) => deps.counters.patient(actor.patientId);
