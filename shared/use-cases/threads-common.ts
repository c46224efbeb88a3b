import { MessageSent } from '../../events/message-sent.ts';
import { MessagesRead } from '../../events/messages-read.ts';
import { ThreadStarted } from '../../events/thread-started.ts';
import type { PageRequest } from '../db/query-page.ts';
import { withOptimisticRetry } from '../db/transactions.ts';
import type { AttachmentRef } from '../domain/attachments.ts';
import { NotFound } from '../domain/errors.ts';
import { openPractitionerThread, type SpilledMarks, spilledMarksNeeded } from '../domain/thread-rules.ts';
import type { Message, MessageAuthor, ReplyPolicy, Thread } from '../domain/types.ts';
import type { ExtraTransactItem, ThreadPage } from '../repositories/thread-repository.ts';
import { idAfter } from '../runtime/ids.ts';
import { event, type PublishedEvent } from '../runtime/publisher.ts';
import type { Deps } from './deps.ts';
import { takeAttachments } from './message-attachments.ts';

export type Owner = { practitionerId: string } | { patientId: string };

/** Someone else's thread is indistinguishable from a missing one. */
export const isOwnedBy = (thread: Thread, owner: Owner): boolean =>
  'practitionerId' in owner
    ? thread.practitionerId === owner.practitionerId
    : thread.patientId === owner.patientId;

export const loadOwnedThread = async (deps: Pick<Deps, 'threads'>, threadId: string, owner: Owner) => {
  const thread = await deps.threads.getThread(threadId);
  if (!thread || !isOwnedBy(thread, owner)) throw new NotFound('Thread');
  return thread;
};

/** A page of the thread's messages, newest page first (ThreadRepository.getThreadPage). */
export const loadOwnedThreadPage = async (
  deps: Pick<Deps, 'threads'>,
  threadId: string,
  owner: Owner,
  page: PageRequest,
): Promise<ThreadPage> => {
  const found = await deps.threads.getThreadPage(threadId, page);
  if (!found || !isOwnedBy(found.thread, owner)) throw new NotFound('Thread');
  return found;
};

/**
 * The spilled read marks the receipts of these messages need (practitionerMessageView):
 * none — and nothing read — unless one of them is older than every read mark the
 * thread item still holds (ADR 0007).
 */
export const spilledMarksFor = async (
  deps: Pick<Deps, 'threads'>,
  thread: Thread,
  messages: readonly Pick<Message, 'sender' | 'sentAt'>[],
): Promise<SpilledMarks | null> => {
  const need = spilledMarksNeeded(thread, messages);
  return need ? deps.threads.spilledReadMarks(thread.id, need) : null;
};

/** A message of `thread`: its id sorts after every message already in it (idAfter). */
export const newMessage = (
  deps: Pick<Deps, 'ids' | 'auditContext'>,
  thread: Thread,
  /** `author`: the one recorded when it was written (a deferred message sent later by the system). */
  fields: Pick<Message, 'sender' | 'body' | 'sentAt' | 'replyPolicy' | 'attachments' | 'author'>,
): Message => {
  // An assistant writing for the practice signs its messages (SPEC 11.2); set by the route wrapper.
  const author = fields.sender === 'practitioner' ? (fields.author ?? deps.auditContext?.author) : undefined;
  return {
    id: idAfter(deps.ids, thread.lastMessageId),
    threadId: thread.id,
    practitionerId: thread.practitionerId,
    patientId: thread.patientId,
    ...fields,
    ...(author && { author }),
  };
};

/** A read receipt: `count` messages of the other side read by `reader` at `readAt`. */
export const messagesReadEvent = (
  thread: Pick<Thread, 'id' | 'practitionerId' | 'patientId'>,
  receipt: { reader: 'patient' | 'practitioner'; count: number; readAt: string },
): PublishedEvent =>
  event(MessagesRead, {
    threadId: thread.id,
    practitionerId: thread.practitionerId,
    patientId: thread.patientId,
    ...receipt,
  });

/** A practitioner message reached a patient (the policy is the one this message granted). */
export const messageSentEvent = (
  thread: Pick<Thread, 'id' | 'practitionerId' | 'patientId'>,
  message: Message,
) =>
  event(MessageSent, {
    threadId: thread.id,
    messageId: message.id,
    practitionerId: thread.practitionerId,
    patientId: thread.patientId,
    replyPolicy: message.replyPolicy ?? 'none',
    sentAt: message.sentAt,
    ...(message.author && { authorId: message.author.id }),
  });

export const practitionerThreadStartedEvents = (thread: Thread, message: Message): PublishedEvent[] => [
  event(ThreadStarted, {
    threadId: thread.id,
    practitionerId: thread.practitionerId,
    patientId: thread.patientId,
    origin: 'practitioner',
    appointmentId: thread.appointmentId,
    startedAt: message.sentAt,
  }),
  messageSentEvent(thread, message),
];

/**
 * Writes a new practitioner thread and its first (already rendered) message in
 * one transaction with the counters, requiring the patient to be in the base;
 * `extraItems` join it (an exactly-once marker, a status change). Every way a
 * practitioner thread starts — typed, automated, deferred, group — goes through
 * here. A new thread cannot lose a version race, but DynamoDB cancels a
 * transaction that meets another one on the counters item: it is retried.
 */
export const commitNewPractitionerThread = (
  deps: Pick<Deps, 'clock' | 'ids' | 'threads' | 'attachments'>,
  input: {
    practitionerId: string;
    patientId: string;
    appointmentId: string | null;
    body: string;
    replyPolicy: ReplyPolicy;
    /** Taken in the same transaction (message-attachments.ts): the practitioner's own, clean, unused. */
    attachments?: AttachmentRef[];
    /** The deferred message whose reserved attachments these are (its delivery). */
    reservedFor?: string;
    /** A deferred message's author, kept from when an assistant scheduled it. */
    author?: MessageAuthor;
  },
  extraItems?: (created: { thread: Thread; message: Message }) => ExtraTransactItem[],
): Promise<{ thread: Thread; message: Message }> =>
  withOptimisticRetry(async () => {
    const now = deps.clock.now().toISOString();
    const { author, ...opened } = input;
    const { thread, delta } = openPractitionerThread({ id: deps.ids.next(), ...opened, now });
    const message = newMessage(deps, thread, {
      sender: 'practitioner',
      body: input.body,
      sentAt: now,
      replyPolicy: input.replyPolicy,
      ...(input.attachments && input.attachments.length > 0 && { attachments: input.attachments }),
      ...(author && { author }),
    });
    const owner = { role: 'practitioner', id: input.practitionerId } as const;
    const extra = [
      ...(extraItems?.({ thread, message }) ?? []),
      ...takeAttachments(deps, owner, message, input.reservedFor),
    ];
    await deps.threads.commit({
      before: null,
      after: thread,
      guard: 'none',
      message,
      delta,
      requirePatientRecord: true,
      ...(extra.length > 0 && { extraItems: extra }),
      events: practitionerThreadStartedEvents(thread, message),
    });
    return { thread, message };
  });
