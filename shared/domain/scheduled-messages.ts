import type { AttachmentRef } from './attachments.ts';
/**
 * Deferred sending (différer l'envoi): a practitioner message written now and
 * delivered at `sendAt` — a new thread or a reply. Until then nothing of it is
 * in any thread, so the patient cannot see it; it can be cancelled while it is
 * `scheduled`. At its time it is delivered once, under the rules of that moment
 * (a thread closed in the meantime refuses it, and the refusal is recorded).
 */
import type { MessageAuthor, ReplyPolicy } from './types.ts';

export const SCHEDULED_MESSAGE_STATUSES = ['scheduled', 'sent', 'refused', 'cancelled', 'failed'] as const;
export type ScheduledMessageStatus = (typeof SCHEDULED_MESSAGE_STATUSES)[number];

/** `new-thread`: opens a thread to the patient at its time; `reply`: answers in an existing thread. */
export type ScheduledMessageKind = 'new-thread' | 'reply';

export interface ScheduledMessage {
  id: string;
  practitionerId: string;
  patientId: string;
  kind: ScheduledMessageKind;
  /** The thread answered (reply), or the thread it opened once sent (new-thread); null before. */
  threadId: string | null;
  appointmentId: string | null;
  replyPolicy: ReplyPolicy;
  /** A typed text, sent as written. */
  body: string | null;
  /** A template: its text is copied now and rendered at delivery, with the values of that moment. */
  templateId: string | null;
  templateBody: string | null;
  sendAt: string;
  status: ScheduledMessageStatus;
  createdAt: string;
  /** Once sent: the message. */
  messageId: string | null;
  sentAt: string | null;
  cancelledAt: string | null;
  /** Once refused (or failed): when and why (a SPEC code such as THREAD_CLOSED). */
  refusedAt: string | null;
  refusalReason: string | null;
  /** e.g. `{ variable }` for TEMPLATE_VARIABLE_MISSING; ids and names of variables only. */
  refusalDetails: Record<string, string> | null;
  /**
   * Counted in the practitioner's pending quota when created (docs/adr/0011): its end releases
   * the count only then (one scheduled before quotas has nothing to release).
   */
  quotaCounted: boolean;
  /** The attachments it will carry, reserved for it until delivery (docs/adr/0016-attachments.md). */
  attachments?: AttachmentRef[];
  /** The assistant who scheduled it (SPEC 11.2): put on the message when the system sends it. */
  author?: MessageAuthor;
}

/** The latest `sendAt` accepted at `now`: the same instant one year later. */
export const latestSendAt = (now: Date): Date => {
  const latest = new Date(now.getTime());
  latest.setUTCFullYear(latest.getUTCFullYear() + 1);
  return latest;
};

/** Why this `sendAt` cannot be accepted at `now`, or null when it can. */
export const sendAtRefusal = (sendAt: string, now: Date): string | null => {
  const at = Date.parse(sendAt);
  if (Number.isNaN(at)) return 'Must be an ISO-8601 date-time';
  if (at <= now.getTime()) return 'Must be in the future';
  if (at > latestSendAt(now).getTime()) return 'Must be at most one year ahead';
  return null;
};

/** The due work that delivers one scheduled message (one per message: scheduling it twice is a no-op). */
export const scheduledMessageWorkId = (practitionerId: string, scheduledMessageId: string) =>
  `scheduled-message.${practitionerId}.${scheduledMessageId}`;
