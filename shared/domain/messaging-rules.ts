/**
 * The practitioner controls, as ONE set of pure rules. Every place that decides
 * whether a patient may write uses these functions: the writes themselves
 * (start a request, write in a thread), the "can I write?" answer and the
 * patient thread view's canReply / replyBlockedReason. So what a patient is told
 * and what happens when they try can never disagree.
 *
 * Precedence (the first rule that refuses answers):
 *   start a request:      NOT_IN_PATIENT_BASE → PATIENT_BLOCKED → MESSAGING_CLOSED → NOT_ALLOWED → COOLDOWN
 *   write in a thread:    PATIENT_BLOCKED → MESSAGING_CLOSED → THREAD_CLOSED → REPLY_NOT_ALLOWED
 * `whoCanStartRequests` and the cooldown only govern new requests; in an
 * existing thread the reply policy of the practitioner's message decides.
 */
import { startOfNextLocalDay } from './calendar.ts';
import {
  Cooldown,
  type DomainError,
  MessagingClosed,
  NotAllowed,
  NotInPatientBase,
  PatientBlocked,
  type RefusalCode,
  ReplyNotAllowed,
  ThreadClosed,
} from './errors.ts';
import type { PractitionerSettings } from './settings.ts';
import { formatFrenchDate, formatFrenchTime } from './templates.ts';
import { patientReplyRefusal, type ReplyState } from './thread-rules.ts';
import type { PatientRecord } from './types.ts';

/** The settings the rules read. */
export type MessagingControls = Pick<
  PractitionerSettings,
  | 'timezone'
  | 'inboxOpen'
  | 'absenceMessage'
  | 'reopensAt'
  | 'whoCanStartRequests'
  | 'allowedAttributes'
  | 'sameDayCooldown'
>;

/** What the rules know of the patient: their record with this practitioner (null = not in the base). */
export interface PatientStanding {
  record: Pick<PatientRecord, 'blocked' | 'allowed' | 'attributes'> | null;
  /** When the practitioner last marked one of this patient's requests treated. */
  lastRequestTreatedAt: string | null;
}

export interface Refusal {
  code: RefusalCode;
  /** The text to show the patient, in French. */
  message: string;
  details?: { reopensAt: string | null } | { retryAfter: string };
}

export const START_REQUEST_PRECEDENCE = [
  'NOT_IN_PATIENT_BASE',
  'PATIENT_BLOCKED',
  'MESSAGING_CLOSED',
  'NOT_ALLOWED',
  'COOLDOWN',
] as const satisfies readonly RefusalCode[];

export const WRITE_IN_THREAD_PRECEDENCE = [
  'PATIENT_BLOCKED',
  'MESSAGING_CLOSED',
  'THREAD_CLOSED',
  'REPLY_NOT_ALLOWED',
] as const satisfies readonly RefusalCode[];

/** Texts shown to patients: polite, and saying what they can do instead. */
export const REFUSAL_TEXTS = {
  NOT_IN_PATIENT_BASE:
    'La messagerie est réservée aux patients déjà suivis par ce praticien. Prenez rendez-vous avec lui pour pouvoir lui écrire.',
  PATIENT_BLOCKED:
    'Votre praticien ne reçoit pas vos messages par la messagerie. Pour le joindre, contactez directement son cabinet ou prenez rendez-vous.',
  MESSAGING_CLOSED: 'Votre praticien a temporairement fermé sa messagerie.',
  NOT_ALLOWED_NOBODY:
    'Votre praticien ne reçoit pas de nouvelles demandes par la messagerie pour le moment. Il peut vous écrire lui-même ; pour le joindre, contactez son cabinet.',
  NOT_ALLOWED_SELECTED:
    'Votre praticien réserve pour le moment les nouvelles demandes par messagerie à certains de ses patients. Pour le joindre, contactez son cabinet ou prenez rendez-vous.',
  THREAD_CLOSED: 'Cette conversation est close. Pour une nouvelle demande, ouvrez une nouvelle conversation.',
  REPLY_NOT_ALLOWED: "Votre praticien n'a pas ouvert la possibilité de répondre dans cette conversation.",
} as const;

const atFrench = (instant: string | Date, timeZone: string) =>
  `${formatFrenchDate(instant, timeZone)} à ${formatFrenchTime(instant, timeZone)}`;

/**
 * Open, or closed with a reopening date that has passed: the rules reopen it at
 * the exact moment even before the scheduled sweep writes it back.
 */
export const isMessagingOpen = (controls: Pick<MessagingControls, 'inboxOpen' | 'reopensAt'>, now: Date) =>
  controls.inboxOpen || (controls.reopensAt !== null && Date.parse(controls.reopensAt) <= now.getTime());

/** Under `allowed_patients`: allowed on their record, or having one of the allowed attributes. */
export const isAllowedToStart = (
  controls: Pick<MessagingControls, 'allowedAttributes'>,
  record: NonNullable<PatientStanding['record']>,
) => record.allowed || controls.allowedAttributes.some((attribute) => record.attributes[attribute]);

/** The first instant the cooldown lets this patient start a new request, or null when it does not apply. */
export const cooldownEndsAt = (
  controls: Pick<MessagingControls, 'sameDayCooldown' | 'timezone'>,
  standing: Pick<PatientStanding, 'lastRequestTreatedAt'>,
  now: Date,
): Date | null => {
  if (!controls.sameDayCooldown || !standing.lastRequestTreatedAt) return null;
  const endsAt = startOfNextLocalDay(new Date(standing.lastRequestTreatedAt), controls.timezone);
  return now.getTime() < endsAt.getTime() ? endsAt : null;
};

interface RuleContext {
  controls: MessagingControls;
  standing: PatientStanding;
  now: Date;
  thread?: ReplyState;
}

type Rule = (context: RuleContext) => Refusal | null;

const notInBase: Rule = ({ standing }) =>
  standing.record ? null : { code: 'NOT_IN_PATIENT_BASE', message: REFUSAL_TEXTS.NOT_IN_PATIENT_BASE };

const blocked: Rule = ({ standing }) =>
  standing.record?.blocked ? { code: 'PATIENT_BLOCKED', message: REFUSAL_TEXTS.PATIENT_BLOCKED } : null;

const closed: Rule = ({ controls, now }) => {
  if (isMessagingOpen(controls, now)) return null;
  const { absenceMessage, reopensAt, timezone } = controls;
  const message =
    absenceMessage ??
    (reopensAt
      ? `${REFUSAL_TEXTS.MESSAGING_CLOSED} Elle rouvrira le ${atFrench(reopensAt, timezone)}.`
      : REFUSAL_TEXTS.MESSAGING_CLOSED);
  return { code: 'MESSAGING_CLOSED', message, details: { reopensAt } };
};

const notAllowed: Rule = ({ controls, standing }) => {
  if (controls.whoCanStartRequests === 'nobody') {
    return { code: 'NOT_ALLOWED', message: REFUSAL_TEXTS.NOT_ALLOWED_NOBODY };
  }
  if (
    controls.whoCanStartRequests === 'allowed_patients' &&
    !(standing.record && isAllowedToStart(controls, standing.record))
  ) {
    return { code: 'NOT_ALLOWED', message: REFUSAL_TEXTS.NOT_ALLOWED_SELECTED };
  }
  return null;
};

const cooldown: Rule = ({ controls, standing, now }) => {
  const endsAt = cooldownEndsAt(controls, standing, now);
  if (!endsAt) return null;
  return {
    code: 'COOLDOWN',
    message: `Votre praticien a traité votre dernière demande aujourd'hui. Vous pourrez lui adresser une nouvelle demande à partir du ${atFrench(endsAt, controls.timezone)}.`,
    details: { retryAfter: endsAt.toISOString() },
  };
};

/** The thread's own state (closed, reply policy), with the patient-facing texts. */
const threadState: Rule = ({ thread }) => {
  const code = thread ? patientReplyRefusal(thread) : null;
  return code ? { code, message: REFUSAL_TEXTS[code] } : null;
};

const START_RULES: Record<(typeof START_REQUEST_PRECEDENCE)[number], Rule> = {
  NOT_IN_PATIENT_BASE: notInBase,
  PATIENT_BLOCKED: blocked,
  MESSAGING_CLOSED: closed,
  NOT_ALLOWED: notAllowed,
  COOLDOWN: cooldown,
};

// THREAD_CLOSED and REPLY_NOT_ALLOWED come from one rule, in that order (thread-rules.ts).
const WRITE_RULES: Rule[] = [blocked, closed, threadState];

const firstRefusal = (rules: readonly Rule[], context: RuleContext): Refusal | null => {
  for (const rule of rules) {
    const refusal = rule(context);
    if (refusal) return refusal;
  }
  return null;
};

/** Why this patient may not start a request with this practitioner now, or null when they may. */
export const startRequestRefusal = (
  controls: MessagingControls,
  standing: PatientStanding,
  now: Date,
): Refusal | null =>
  firstRefusal(
    START_REQUEST_PRECEDENCE.map((code) => START_RULES[code]),
    { controls, standing, now },
  );

/** Why this patient may not write in this thread now, or null when they may. */
export const writeInThreadRefusal = (
  controls: MessagingControls,
  standing: PatientStanding,
  thread: ReplyState,
  now: Date,
): Refusal | null => firstRefusal(WRITE_RULES, { controls, standing, now, thread });

/**
 * The write-in-thread answer when the controls cannot refuse (not blocked, messaging
 * open): the thread's own state only — what writeInThreadRefusal gives then.
 */
export const threadStateRefusal = (thread: ReplyState): Refusal | null =>
  threadState({ thread } as RuleContext);

/** The domain error a refused write throws: same code and text as the "can I write?" answer. */
export const refusalError = (refusal: Refusal): DomainError => {
  switch (refusal.code) {
    case 'NOT_IN_PATIENT_BASE':
      return new NotInPatientBase(refusal.message);
    case 'PATIENT_BLOCKED':
      return new PatientBlocked(refusal.message);
    case 'MESSAGING_CLOSED':
      return new MessagingClosed(refusal.message, {
        reopensAt: (refusal.details as { reopensAt: string | null } | undefined)?.reopensAt ?? null,
      });
    case 'NOT_ALLOWED':
      return new NotAllowed(refusal.message);
    case 'COOLDOWN':
      return new Cooldown(refusal.message, refusal.details as { retryAfter: string });
    case 'THREAD_CLOSED':
      return new ThreadClosed(refusal.message);
    case 'REPLY_NOT_ALLOWED':
      return new ReplyNotAllowed(refusal.message);
  }
};
