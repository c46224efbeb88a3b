import { type AttachmentRef, attachmentRef } from './attachments.ts';
import type { Refusal } from './messaging-rules.ts';
import type { PatientThreadListEntry, PractitionerThreadListEntry } from './thread-lists.ts';
import { readByPatientAt, type SpilledMarks } from './thread-rules.ts';
import type { Message, MessageAuthor, Thread } from './types.ts';

/** Shown on every patient-facing messaging answer (SPEC section 8). */
export const EMERGENCY_NOTICE =
  "La messagerie n'est pas adaptée aux urgences. En cas d'urgence, appelez le 15 (SAMU) ou le 112.";

/** Thread views are paginated (SPEC 11.1): this many of the newest messages by default, at most MAX. */
export const THREAD_PAGE_SIZE = { default: 50, max: 100 } as const;

export interface ThreadPageRequest {
  limit?: number;
  cursor?: string | undefined;
}

/** The page to read: the default size when none is given (the HTTP schema bounds it). */
export const threadPageRequest = (page: ThreadPageRequest): { limit: number; cursor?: string } => ({
  limit: page.limit ?? THREAD_PAGE_SIZE.default,
  ...(page.cursor !== undefined && { cursor: page.cursor }),
});

const commonThreadFields = (thread: PractitionerThreadListEntry | PatientThreadListEntry) => ({
  id: thread.id,
  practitionerId: thread.practitionerId,
  patientId: thread.patientId,
  origin: thread.origin,
  status: thread.status,
  replyPolicy: thread.replyPolicy,
  appointmentId: thread.appointmentId,
  createdAt: thread.createdAt,
  lastMessageAt: thread.lastMessageAt,
  treatedAt: thread.treatedAt,
});

/** Also a list item: built from the practitioner's list entry (what gsi1–gsi3 project) alone. */
export const practitionerThreadView = (thread: PractitionerThreadListEntry) => ({
  ...commonThreadFields(thread),
  archived: thread.archived,
  untreatedCount: thread.untreatedCount,
  unread: thread.unreadForPractitioner > 0,
  unreadCount: thread.unreadForPractitioner,
  // Only where the answer knows it (the thread item, the triage index): gsi1–gsi3 do not project it.
  ...(thread.assigneeId != null && { assigneeId: thread.assigneeId }),
});

/**
 * The patient's view: their own unread state and whether they may answer, but
 * never whether the practitioner has read anything. `refusal` is required so
 * every caller evaluates the practitioner controls (writeInThreadRefusal in
 * messaging-rules.ts), the same rules the write itself applies. Also a list
 * item: built from the patient's list entry (what gsi4 projects) alone.
 */
export const patientThreadView = (thread: PatientThreadListEntry, refusal: Refusal | null) => ({
  ...commonThreadFields(thread),
  unread: thread.unreadForPatient > 0,
  unreadCount: thread.unreadForPatient,
  canReply: refusal === null,
  replyBlockedReason: refusal?.code ?? null,
  /** The text to show instead of the reply box (French), null when the patient may reply. */
  replyBlockedMessage: refusal?.message ?? null,
});

interface MessageHeader {
  id: string;
  threadId: string;
  sender: Message['sender'];
  sentAt: string;
  author?: MessageAuthor;
}

/**
 * A message as sent, or its tombstone once retracted (no body, ever): `retracted`
 * tells which (`body?: never` only lets callers read `message.body` on either).
 */
type MessageViewFields = MessageHeader &
  (
    | { body: string; retracted: false; attachments: AttachmentRef[] }
    | { body?: never; retracted: true; retractedAt: string | null }
  );

/** A retracted message keeps its place in the thread as a tombstone: no body and no attachments, ever. */
const commonMessageFields = (message: Message): MessageViewFields => {
  const header = {
    id: message.id,
    threadId: message.threadId,
    sender: message.sender,
    // Both views: the patient sees that the practice's answer came from its secretary (SPEC 11.2).
    ...(message.author && { author: message.author }),
  };
  return message.retracted
    ? { ...header, retracted: true, retractedAt: message.retractedAt ?? null, sentAt: message.sentAt }
    : {
        ...header,
        body: message.body,
        retracted: false,
        sentAt: message.sentAt,
        attachments: (message.attachments ?? []).map(attachmentRef),
      };
};

/** `spilled`: the spilled read marks its receipt needs, when it needs some (spilledMarksNeeded). */
export const practitionerMessageView = (thread: Thread, message: Message, spilled: SpilledMarks | null) => ({
  ...commonMessageFields(message),
  ...(message.sender === 'practitioner' && {
    replyPolicy: message.replyPolicy,
    readByPatientAt: readByPatientAt(thread, message, spilled),
  }),
});

export const patientMessageView = (message: Message) => commonMessageFields(message);
