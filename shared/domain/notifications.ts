/**
 * Notification rules (SPEC section 6), pure: who is due an email, when the next
 * one may go, and what the emails say. No email may carry a patient's name or a
 * message text: the renderers take counts, a practitioner name and links only.
 */

export const NOTIFICATION_MODES = ['threshold', 'every_message', 'off'] as const;
export type NotificationMode = (typeof NOTIFICATION_MODES)[number];

export interface NotificationSettings {
  mode: NotificationMode;
  /** Untreated messages that trigger the digest (mode `threshold`). */
  threshold: number;
  /** Where practitioner notifications go; null = the settings `email`. */
  email: string | null;
}

export const MIN_THRESHOLD = 1;
export const MAX_THRESHOLD = 50;

export const DEFAULT_NOTIFICATIONS: NotificationSettings = { mode: 'threshold', threshold: 4, email: null };

const MINUTE = 60_000;
/** The seed's cap: at most one untreated digest per rolling 7 days. */
export const DIGEST_WINDOW_MS = 7 * 24 * 60 * MINUTE;
/** `every_message`: at most one email per practitioner per 15 minutes. */
export const INSTANT_WINDOW_MS = 15 * MINUTE;

/**
 * How long a claim to send an email holds before anyone may take it over. A
 * claim is confirmed (or released) within seconds: one still there after its
 * lease belongs to a process that died between the claim and SES, and the email
 * is sent again rather than lost. The one window for a duplicate: SES accepted
 * the email and the process died before confirming it; the recipient then gets
 * it twice, which is preferred to never getting it. Far above a function's
 * timeout (30 s), so a live send is never taken over.
 */
export const CLAIM_LEASE_MS = 10 * MINUTE;

/** A sort key lower than any ISO-8601 time: "eligible since forever". */
export const NEVER_SENT = '0000-00-00T00:00:00.000Z';

export const shiftIso = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();

/**
 * The notification state kept on the practitioner's counters item (read
 * consistently). Whether they are in the sweep queue is a separate item
 * (`PRAC#<id> / DIGEST_DUE`), so the counters item carries no index key.
 */
export interface DigestState {
  untreatedMessages: number;
  /** Mirrors of the settings, written in the same transaction as them. */
  mode: NotificationMode;
  threshold: number;
  /** When the next digest may go (last digest + 7 days); null when none was ever sent. */
  eligibleAt: string | null;
}

/** At or over the threshold in `threshold` mode: the only practitioners the sweep may see. */
export const isDigestDue = (state: Pick<DigestState, 'untreatedMessages' | 'mode' | 'threshold'>): boolean =>
  state.mode === 'threshold' && state.untreatedMessages >= state.threshold;

/** Sort key of the sweep-index entry: the week's end first, so the sweep reads `<= now` only. */
export const digestIndexSortKey = (eligibleAt: string | null, practitionerId: string): string =>
  `${eligibleAt ?? NEVER_SENT}#${practitionerId}`;

/** What the sweep-index entry must be: its sort key, or null when it must be absent. */
export const desiredDigestIndex = (state: DigestState, practitionerId: string): string | null =>
  isDigestDue(state) ? digestIndexSortKey(state.eligibleAt, practitionerId) : null;

/** Where a practitioner's notifications go, or null when they gave no address. */
export const practitionerRecipient = (settings: {
  email: string | null;
  notifications: Pick<NotificationSettings, 'email'>;
}): string | null => settings.notifications.email ?? settings.email ?? null;

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (value: string): string =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const trimSlash = (url: string) => url.replace(/\/+$/, '');

export const links = {
  practitionerUntreated: (appBaseUrl: string) => `${trimSlash(appBaseUrl)}/messagerie?filtre=non-traites`,
  practitionerSettings: (appBaseUrl: string) => `${trimSlash(appBaseUrl)}/messagerie/reglages`,
  /** The inbox a delegate works, named by the practitioner's id (the On-Behalf-Of value), never a name. */
  delegateUntreated: (appBaseUrl: string, practitionerId: string) =>
    `${trimSlash(appBaseUrl)}/messagerie?filtre=non-traites&pour=${encodeURIComponent(practitionerId)}`,
  delegateSettings: (appBaseUrl: string) => `${trimSlash(appBaseUrl)}/assistant/notifications`,
  patientThread: (appBaseUrl: string, threadId: string) =>
    `${trimSlash(appBaseUrl)}/mes-messages/${encodeURIComponent(threadId)}`,
};

const plural = (n: number, one: string, many: string) => (n > 1 ? many : one);

const untreatedPhrase = (n: number) =>
  `${n} ${plural(n, 'message de patient non traité', 'messages de patients non traités')}`;

const html = (paragraphs: string[], link: { href: string; label: string }) =>
  [
    '<!doctype html><html lang="fr"><body>',
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p>`,
    '</body></html>',
  ].join('');

/** The last 7 days' time-to-treat counts (SPEC 11.5) for the weekly digest: counts only. */
export interface WeekFigures {
  received: number;
  treated: number;
  within48h: number;
}

/** French agreement: 0 and 1 take the singular. */
const counted = (n: number, one: string, many: string) => `${n} ${plural(n, one, many)}`;

/** "Sur les 7 derniers jours : 12 demandes reçues, 9 traitées, dont 7 en moins de 48 heures." */
export const weekFiguresLine = (week: WeekFigures): string =>
  `Sur les 7 derniers jours : ${counted(week.received, 'demande reçue', 'demandes reçues')}, ` +
  `${counted(week.treated, 'traitée', 'traitées')}` +
  (week.treated > 0 ? `, dont ${week.within48h} en moins de 48 heures.` : '.');

/**
 * The digest (modes `threshold` and `every_message`): a count and the inbox link,
 * nothing about who wrote or what; the weekly one adds the last 7 days' counts when there are any.
 */
export const renderPractitionerDigest = (input: {
  untreatedMessages: number;
  mode: 'threshold' | 'every_message';
  appBaseUrl: string;
  lastWeek?: WeekFigures;
}): EmailContent => {
  const n = input.untreatedMessages;
  const inbox = links.practitionerUntreated(input.appBaseUrl);
  const settingsLink = links.practitionerSettings(input.appBaseUrl);
  const cadence =
    input.mode === 'threshold'
      ? 'Cet e-mail vous est envoyé au plus une fois par semaine.'
      : 'Vous recevez cet e-mail à chaque nouveau message, au plus une fois par quart d’heure.';
  const week =
    input.lastWeek && (input.lastWeek.received > 0 || input.lastWeek.treated > 0)
      ? [weekFiguresLine(input.lastWeek)]
      : [];
  const paragraphs = [
    'Bonjour,',
    `Vous avez ${untreatedPhrase(n)} dans votre messagerie.`,
    ...week,
    `${cadence} Vous pouvez modifier vos préférences de notification dans les réglages de la messagerie : ${settingsLink}`,
  ];
  return {
    subject: `Messagerie patients : ${untreatedPhrase(n)}`,
    text: [
      ...paragraphs.slice(0, 2 + week.length),
      `Consulter la messagerie : ${inbox}`,
      ...paragraphs.slice(2 + week.length),
      '',
    ].join('\n\n'),
    html: html(paragraphs, { href: inbox, label: 'Consulter la messagerie' }),
  };
};

/** The subject of every delegate email: no count, no practitioner, no patient (ADR 0015). */
export const DELEGATE_NOTIFICATION_SUBJECT = 'Messagerie patients : messages en attente';

/**
 * A delegate's copy of the digest or instant email (ADR 0015): the count and the
 * link to the inbox they work (by the practitioner's id), nothing about who wrote or
 * what; a neutral subject, since a mailbox may be read by someone else in the practice.
 */
export const renderDelegateDigest = (input: {
  untreatedMessages: number;
  mode: 'threshold' | 'every_message';
  practitionerId: string;
  appBaseUrl: string;
}): EmailContent => {
  const inbox = links.delegateUntreated(input.appBaseUrl, input.practitionerId);
  const settingsLink = links.delegateSettings(input.appBaseUrl);
  const cadence =
    input.mode === 'threshold'
      ? 'Cet e-mail vous est envoyé au plus une fois par semaine pour cette messagerie.'
      : 'Vous recevez cet e-mail à chaque nouveau message, au plus une fois par quart d’heure pour cette messagerie.';
  const paragraphs = [
    'Bonjour,',
    `Une messagerie patients que vous gérez a ${untreatedPhrase(input.untreatedMessages)}.`,
    `${cadence} Vous avez demandé ces e-mails ; vous pouvez les arrêter dans vos préférences : ${settingsLink}`,
  ];
  return {
    subject: DELEGATE_NOTIFICATION_SUBJECT,
    text: [...paragraphs.slice(0, 2), `Consulter la messagerie : ${inbox}`, paragraphs[2], ''].join('\n\n'),
    html: html(paragraphs, { href: inbox, label: 'Consulter la messagerie' }),
  };
};

/** The subject of every patient email: names no practitioner, no specialty, no health content (ADR 0010). */
export const PATIENT_NOTIFICATION_SUBJECT = 'Nouveau message sur votre messagerie santé';

/**
 * The patient's email: that a health professional wrote, and a link — never who
 * (a name or specialty reveals a care relationship to whoever reads the mailbox),
 * never the text (it may be health data). README "Emails" says why.
 */
export const renderPatientNotification = (input: { threadId: string; appBaseUrl: string }): EmailContent => {
  const link = links.patientThread(input.appBaseUrl, input.threadId);
  const paragraphs = [
    'Bonjour,',
    'Un professionnel de santé vous a écrit sur votre messagerie santé.',
    'Pour protéger vos données de santé, son contenu et son auteur ne sont visibles qu’après connexion.',
    'La messagerie n’est pas adaptée aux urgences : en cas d’urgence, appelez le 15 (SAMU) ou le 112.',
  ];
  return {
    subject: PATIENT_NOTIFICATION_SUBJECT,
    text: [...paragraphs.slice(0, 2), `Lire le message : ${link}`, ...paragraphs.slice(2), ''].join('\n\n'),
    html: html(paragraphs, { href: link, label: 'Lire le message' }),
  };
};
