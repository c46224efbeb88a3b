/**
 * Group communications (communication groupée): one message to the whole
 * patient base or to a segment of it, personalised per patient, each patient in
 * their own practitioner thread. Pure rules here; the fan-out is in
 * shared/use-cases/communications.ts and its design in docs/data-model.md.
 *
 * Life cycle: `queued` (stored, CommunicationRequested published) → `sending`
 * (the worker counts the audience, then walks it chunk by chunk) → `done`, or
 * `failed` when nobody could be sent the message (every recipient failed, or the
 * fan-out stalled and was given up).
 */
import type { AttachmentRef } from './attachments.ts';
import type { PatientAttribute, PatientAttributes, ReplyPolicy } from './types.ts';

/** Everyone in the base, or the patients having ANY of the listed attributes. */
export type CommunicationAudience = { all: true } | { attributes: PatientAttribute[] };

export const COMMUNICATION_STATUSES = ['queued', 'sending', 'done', 'failed'] as const;
export type CommunicationStatus = (typeof COMMUNICATION_STATUSES)[number];

export interface Communication {
  id: string;
  practitionerId: string;
  status: CommunicationStatus;
  audience: CommunicationAudience;
  replyPolicy: ReplyPolicy;
  /** The template it was written from (its text was copied when the communication was created). */
  templateId: string | null;
  /**
   * The files every recipient's message carries (≤ 5, the practitioner's own clean ones): taken by the
   * communication when it is created, shared by all its messages (docs/adr/0016-attachments.md).
   */
  attachments: AttachmentRef[];
  /** The audience size: null while sending (it is counted as it is sent), at the end exactly sent + failed. */
  total: number | null;
  sent: number;
  failed: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Why it failed as a whole (`ALL_RECIPIENTS_FAILED`, `STALLED`), else null. */
  failureReason: string | null;
  /** The fan-out's position: the chunk to run next and the patient-base key it starts after. */
  chunkSeq: number;
  cursor: Record<string, string> | null;
  /** Last time a chunk committed; the watchdog resumes a fan-out that stopped moving. */
  progressAt: string;
  /**
   * Set while the practitioner's daily recipients quota holds the fan-out (docs/adr/0011): the
   * next Paris midnight, when its watchdog resumes it; null otherwise.
   */
  pausedUntil: string | null;
  /**
   * The recipients the current chunk took from the daily window (`seq`: the chunk; `day`: whose
   * window): a re-run of that chunk uses them instead of taking again.
   */
  reservation: { seq: number; count: number; day: string } | null;
}

export const FANOUT_POLICY = {
  /**
   * Recipients per chunk (one Lambda invocation). Recipients share no item (each
   * has their own thread and counters; the communication moves once per chunk):
   * a chunk writes them `recipientsPerTransaction` per transaction (3 items
   * each, ≤ 100 items a transaction: 33 is the most that fits), all its
   * transactions at once. Fewer, fuller transactions: less per-request work
   * (docs/adr/0008); one chunk = one wave of 8 × 33.
   */
  chunkSize: 264,
  recipientsPerTransaction: 33,
  /** Transactions of a chunk in flight at once (chunkSize / recipientsPerTransaction: one wave). */
  transactionsInFlight: 8,
  /** Query pages a segment may read per chunk to find its matches (then the chunk hands on). */
  segmentPagesPerChunk: 10,
  /** An invocation stops taking new recipients after this long and hands the rest on. */
  chunkTimeBudgetMs: 20_000,
  /** The watchdog looks every 5 minutes; a fan-out that did not move in that time is resumed. */
  watchdogIntervalMs: 5 * 60_000,
  /** Resumed this many times in a row without moving: given up (status failed, alarm). */
  maxStalls: 3,
  /** Failure markers are kept 180 days (the communication is long finished by then). */
  recipientMarkerTtlMs: 180 * 24 * 60 * 60_000,
} as const;

export const isInAudience = (attributes: PatientAttributes, audience: CommunicationAudience): boolean =>
  'all' in audience ? true : audience.attributes.some((attribute) => attributes[attribute] === true);

/** The end state once every recipient was processed. */
export const finalStatus = (counts: { sent: number; failed: number }): 'done' | 'failed' =>
  counts.sent === 0 && counts.failed > 0 ? 'failed' : 'done';

export type RecipientOutcome = 'sent' | 'failed';

/** One patient's result in one communication (stored for the failed ones: the sent ones have their thread). */
export interface CommunicationRecipient {
  communicationId: string;
  practitionerId: string;
  patientId: string;
  outcome: RecipientOutcome;
  /** sent: where the message went. */
  threadId: string | null;
  messageId: string | null;
  replyPolicy: ReplyPolicy | null;
  /** failed: a code (`TEMPLATE_VARIABLE_MISSING`, `VALIDATION_ERROR`, `NOT_IN_PATIENT_BASE`), never text. */
  reason: string | null;
  at: string;
}

/** The due work that watches one communication's fan-out; one id per check, so each check runs once. */
export const communicationWatchdogWorkId = (practitionerId: string, communicationId: string, check: number) =>
  `communication-watchdog.${practitionerId}.${communicationId}.${check}`;
