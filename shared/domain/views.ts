import { patientReplyRefusal, readByPatientAt } from './thread-rules.ts';
import type { Message, Thread } from './types.ts';

/** Shown on every patient-facing messaging answer (SPEC section 8). */
export const EMERGENCY_NOTICE =
  "La messagerie n'est pas adaptée aux urgences. En cas d'urgence, appelez le 15 (SAMU) ou le 112.";

const commonThreadFields = (thread: Thread) => ({
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

export const practitionerThreadView = (thread: Thread) => ({
  ...commonThreadFields(thread),
  untreatedCount: thread.untreatedCount,
  unread: thread.unreadForPractitioner > 0,
  unreadCount: thread.unreadForPractitioner,
});

/**
 * The patient's view: their own unread state and whether they may answer, but
 * never whether the practitioner has read anything.
 */
export const patientThreadView = (thread: Thread, refusal: string | null = patientReplyRefusal(thread)) => ({
  ...commonThreadFields(thread),
  unread: thread.unreadForPatient > 0,
  unreadCount: thread.unreadForPatient,
  canReply: refusal === null,
  replyBlockedReason: refusal,
});

const commonMessageFields = (message: Message) => ({
  id: message.id,
  threadId: message.threadId,
  sender: message.sender,
  body: message.body,
  sentAt: message.sentAt,
});

export const practitionerMessageView = (thread: Thread, message: Message) => ({
  ...commonMessageFields(message),
  ...(message.sender === 'practitioner' && {
    replyPolicy: message.replyPolicy,
    readByPatientAt: readByPatientAt(thread, message),
  }),
});

export const patientMessageView = (message: Message) => commonMessageFields(message);
