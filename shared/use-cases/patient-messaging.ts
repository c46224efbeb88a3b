import { MessageReceived } from '../../events/message-received.ts';
import { ThreadStarted } from '../../events/thread-started.ts';
import { withOptimisticRetry } from '../db/transactions.ts';
import { type AttachmentRef, patientAttachmentsRefused } from '../domain/attachments.ts';
import { refusalError, threadStateRefusal } from '../domain/messaging-rules.ts';
import { addPatientMessage, openPatientRequest, readByPatient } from '../domain/thread-rules.ts';
import type { Message, Thread } from '../domain/types.ts';
import {
  EMERGENCY_NOTICE,
  patientMessageView,
  patientThreadView,
  type ThreadPageRequest,
  threadPageRequest,
} from '../domain/views.ts';
import { ControlsRestricted, type ControlsSnapshot } from '../repositories/controls-repository.ts';
import { openRequest, patientDayWindow } from '../repositories/quota-repository.ts';
import { event, type PublishedEvent } from '../runtime/publisher.ts';
import type { Deps, PatientActor } from './deps.ts';
import { attachableRefs, takeAttachments } from './message-attachments.ts';
import {
  assertMayStartRequest,
  controlsGuards,
  readControls,
  threadRefusal,
  threadRefusals,
} from './messaging-access.ts';
import { countCommitted } from './publish.ts';
import { loadOwnedThread, loadOwnedThreadPage, messagesReadEvent, newMessage } from './threads-common.ts';

const messageReceived = (thread: Thread, message: Message): PublishedEvent =>
  event(MessageReceived, {
    threadId: thread.id,
    messageId: message.id,
    practitionerId: thread.practitionerId,
    patientId: thread.patientId,
    receivedAt: message.sentAt,
  });

const ownerOf = (actor: PatientActor) => ({ role: 'patient', id: actor.patientId }) as const;

/** A patient may attach files only where the practitioner's settings say `patientAttachments`. */
const patientAttachments = async (
  deps: Deps,
  actor: PatientActor,
  practitionerId: string,
  attachmentIds: readonly string[] | undefined,
): Promise<AttachmentRef[]> => {
  if (!attachmentIds || attachmentIds.length === 0) return [];
  if (!(await deps.settings.get(practitionerId)).patientAttachments) throw patientAttachmentsRefused();
  return attachableRefs(deps, ownerOf(actor), attachmentIds);
};

/** The patient's thread view with canReply from the same rules as the write. */
const patientView = async (deps: Deps, thread: Thread) => {
  const snapshot = await readControls(deps, thread.practitionerId, thread.patientId);
  return patientThreadView(thread, threadRefusal(snapshot, thread, deps.clock.now()));
};

export const startPatientRequest = async (
  deps: Deps,
  actor: PatientActor,
  input: { practitionerId: string; body: string; attachmentIds?: string[] },
) => {
  const attachments = await patientAttachments(deps, actor, input.practitionerId, input.attachmentIds);
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
      ...(attachments.length > 0 && { attachments }),
    });
    await deps.threads.commit({
      before: null,
      after: thread,
      guard: 'none',
      message,
      delta,
      // Checks the record exists at the version read (so: in the base, not blocked since); then the
      // quotas, counted by the database in this transaction (a refusal writes nothing): open requests
      // with this practitioner, requests started this Paris day (docs/adr/0011).
      extraItems: [
        ...controlsGuards(deps, snapshot),
        openRequest(deps.quotas, actor.patientId, input.practitionerId),
        patientDayWindow(deps.quotas, actor.patientId, nowDate),
        ...takeAttachments(deps, ownerOf(actor), message),
      ],
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

/**
 * A patient's message in a thread. The common case — not blocked, messaging open —
 * is decided without reading the controls: the transaction checks that state
 * (controls-repository.ts `unrestrictedGuards`), so it is GetItem + TransactWriteItems.
 * When that check fails, the controls are read and the rules decide (a refusal with
 * its text, or a closure whose reopening date has passed), conditioned on their versions.
 */
export const writeAsPatient = async (
  deps: Deps,
  actor: PatientActor,
  threadId: string,
  input: { body: string; attachmentIds?: string[] },
) => {
  let attachments: AttachmentRef[] | null = null;
  const written = await withOptimisticRetry(async () => {
    const before = await loadOwnedThread(deps, threadId, actor);
    attachments ??= await patientAttachments(deps, actor, before.practitionerId, input.attachmentIds);
    const content = { body: input.body, attachments };
    try {
      return await commitPatientMessage(deps, before, content, null);
    } catch (error) {
      if (!(error instanceof ControlsRestricted)) throw error;
      const snapshot = await readControls(deps, before.practitionerId, actor.patientId);
      return commitPatientMessage(deps, before, content, snapshot);
    }
  });
  countCommitted([MessageReceived]);
  return {
    thread: patientThreadView(written.after, written.refusal),
    message: patientMessageView(written.message),
    notice: EMERGENCY_NOTICE,
  };
};

/** Decides (with the controls read, or on the unrestricted state the transaction checks) and commits. */
const commitPatientMessage = async (
  deps: Deps,
  before: Thread,
  content: { body: string; attachments: AttachmentRef[] },
  snapshot: ControlsSnapshot | null,
) => {
  const nowDate = deps.clock.now();
  if (snapshot) {
    const refusal = threadRefusal(snapshot, before, nowDate);
    if (refusal) throw refusalError(refusal);
  } else if (threadStateRefusal(before)) {
    // A refusal of the thread's own: which one the patient sees depends on the controls
    // (a block or a closure takes precedence), so it is decided with them.
    throw new ControlsRestricted();
  }
  const now = nowDate.toISOString();
  const { thread: after, delta } = addPatientMessage(before, now);
  const message = newMessage(deps, after, {
    sender: 'patient',
    body: content.body,
    sentAt: now,
    replyPolicy: null,
    ...(content.attachments.length > 0 && { attachments: content.attachments }),
  });
  await deps.threads.commit({
    before,
    after,
    guard: 'patientMayWrite',
    message,
    delta,
    extraItems: [
      ...(snapshot
        ? controlsGuards(deps, snapshot)
        : deps.controls.unrestrictedGuards(before.practitionerId, before.patientId)),
      ...takeAttachments(deps, ownerOf({ role: 'patient', patientId: before.patientId }), message),
    ],
    events: [messageReceived(after, message)],
  });
  return {
    after,
    message,
    refusal: snapshot ? threadRefusal(snapshot, after, nowDate) : threadStateRefusal(after),
  };
};

export const readAsPatient = async (deps: Deps, actor: PatientActor, threadId: string) => {
  const before = await loadOwnedThread(deps, threadId, actor);
  // The view's canReply needs the controls: read beside the write, not after it.
  const [result, snapshot] = await Promise.all([
    markReadByPatient(deps, actor, threadId, before),
    readControls(deps, before.practitionerId, before.patientId),
  ]);
  return {
    thread: patientThreadView(result.thread, threadRefusal(snapshot, result.thread, deps.clock.now())),
    notice: EMERGENCY_NOTICE,
  };
};

/** The read receipt, with `first` as the first attempt's state (re-read on a conflict). */
const markReadByPatient = (deps: Deps, actor: PatientActor, threadId: string, first: Thread) => {
  let attempt = 0;
  return withOptimisticRetry(async () => {
    attempt += 1;
    const before = attempt === 1 ? first : await loadOwnedThread(deps, threadId, actor);
    if (before.unreadForPatient === 0) return { thread: before };
    const readAt = deps.clock.now().toISOString();
    const { thread, delta } = readByPatient(before, readAt);
    await deps.threads.commit({
      before,
      after: thread,
      guard: 'none',
      delta,
      events: [messagesReadEvent(thread, { reader: 'patient', count: before.unreadForPatient, readAt })],
    });
    return { thread };
  });
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
