import type { AttachmentRef } from './attachments.ts';

export const REPLY_POLICIES = ['none', 'single', 'until_closed'] as const;
export type ReplyPolicy = (typeof REPLY_POLICIES)[number];

export type ThreadOrigin = 'patient' | 'practitioner';
export type ThreadStatus = 'open' | 'closed';
export type Sender = 'practitioner' | 'patient';

export interface Thread {
  id: string;
  practitionerId: string;
  patientId: string;
  origin: ThreadOrigin;
  status: ThreadStatus;
  /** The policy of the latest practitioner message; `until_closed` for a patient request before any answer. */
  replyPolicy: ReplyPolicy;
  appointmentId: string | null;
  createdAt: string;
  lastMessageAt: string;
  treatedAt: string | null;
  /** Patient messages not yet treated. */
  untreatedCount: number;
  /** Patient messages the practitioner has not read (their badge only, never shown to the patient). */
  unreadForPractitioner: number;
  /** Practitioner messages the patient has not read. */
  unreadForPatient: number;
  /** Under `single`: how many patient messages the latest grant still allows (0 or 1). */
  patientRepliesLeft: number;
  /**
   * Times the patient opened the thread while practitioner messages were unread,
   * oldest first and never decreasing: the NEWEST ones only (at most
   * PATIENT_READ_MARKS.inline, thread-rules.ts); older ones were moved to items
   * of their own in the thread's partition (`patientReadMarksSpilled` of them).
   * A message's read receipt is the first mark at or after it was sent: one item
   * update per read instead of one per message.
   */
  patientReadMarks: string[];
  /** How many of the oldest read marks were moved out of the thread item (0 on threads written before). */
  patientReadMarksSpilled: number;
  practitionerReadAt: string | null;
  /**
   * Id of the thread's newest message (any sender) and of its newest patient
   * message; null while there is none. Message ids only grow within a thread
   * (a new one always sorts after `lastMessageId`), so "newer" means "written
   * later". Kept by the repository from each change's message; the safe treat
   * is conditioned on `lastPatientMessageId`. Absent on a thread last written
   * before they were kept: the messages themselves are looked at then.
   */
  lastMessageId?: string | null;
  lastPatientMessageId?: string | null;
  archived: boolean;
  /** The group communication that started it (its id is derived from this and the patient). */
  communicationId?: string | null;
  /**
   * A group communication's thread waits OUTSIDE the practitioner's inbox (no
   * gsi1–gsi3 entry, not in `openThreads`) until someone writes in it: a 10,000
   * patient send must not flood the inbox. The first patient message (or a
   * practitioner message, or a treat) brings it in (thread-rules `surface`).
   */
  dormant?: boolean;
  /**
   * Triage (SPEC 11.2): who in the practice handles it — the practitioner or one
   * of their delegates; null or absent: nobody yet.
   */
  assigneeId?: string | null;
  /** Optimistic-concurrency version; every thread write is conditioned on it. */
  version: number;
}

/** Who in the practice wrote a practitioner message when it was not the practitioner (SPEC 11.2). */
export interface MessageAuthor {
  role: 'assistant';
  id: string;
  displayName: string;
}

export interface Message {
  id: string;
  threadId: string;
  practitionerId: string;
  patientId: string;
  sender: Sender;
  body: string;
  sentAt: string;
  /** The policy this practitioner message granted; null on patient messages. */
  replyPolicy: ReplyPolicy | null;
  /** Retracted by the practitioner before the patient read it: the stored body is removed ('' here). */
  retracted?: boolean;
  retractedAt?: string | null;
  /** An assistant's message for the practice (absent on the practitioner's own and the patient's). */
  author?: MessageAuthor;
  /** The files it carries (SPEC 11.3): name, type and size, never the object key. */
  attachments?: AttachmentRef[];
}

export const PATIENT_ATTRIBUTES = [
  'primaryCare',
  'ald',
  'chronic',
  'pregnancyFollowUp',
  'needsSupport',
] as const;
export type PatientAttribute = (typeof PATIENT_ATTRIBUTES)[number];
export type PatientAttributes = Record<PatientAttribute, boolean>;

export interface PatientRecord {
  practitionerId: string;
  patientId: string;
  firstName: string;
  lastName: string;
  email: string | null;
  attributes: PatientAttributes;
  blocked: boolean;
  allowed: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface PractitionerCounters {
  untreatedMessages: number;
  unreadThreads: number;
  openThreads: number;
}

export interface PatientCounters {
  unreadMessages: number;
}

/** Signed changes to the counters that a thread transition implies. */
export interface CounterDelta {
  practitioner: PractitionerCounters;
  patient: PatientCounters;
}

export const ZERO_DELTA: CounterDelta = {
  practitioner: { untreatedMessages: 0, unreadThreads: 0, openThreads: 0 },
  patient: { unreadMessages: 0 },
};
