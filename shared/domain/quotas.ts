/**
 * Per-user quotas and rate limits (issue 13 part 4, docs/adr/0011-quotas-in-the-database.md).
 * Values per stage in infra/config.ts, given to every function as the `QUOTAS`
 * environment JSON and parsed once, on first use (quota-repository.ts). They are enforced by the
 * database in the write's own transaction (shared/repositories/quota-repository.ts):
 * counts of what is open or kept at once (`QUOTA_EXCEEDED`) and per-day windows
 * keyed by the Europe/Paris calendar day (`RATE_LIMITED`), both answered 429 with
 * `Retry-After`.
 */
import { localDate, startOfNextLocalDay } from './calendar.ts';

export interface Quotas {
  /** Patient requests (threads they start) open at once with one practitioner. */
  readonly openRequestsPerPatientPerPractitioner: number;
  /** Requests a patient starts per Paris day, all practitioners together. */
  readonly patientRequestsPerDay: number;
  /** Templates a practitioner keeps. */
  readonly templatesPerPractitioner: number;
  /** Automations a practitioner keeps. */
  readonly automationsPerPractitioner: number;
  /** Assistants a practitioner delegates to at once (SPEC 11.2, ADR 0015). */
  readonly delegatesPerPractitioner: number;
  /** Scheduled messages of a practitioner still to send. */
  readonly pendingScheduledMessagesPerPractitioner: number;
  /** Group communications a practitioner creates per Paris day. */
  readonly communicationsPerPractitionerPerDay: number;
  /** Recipients of those communications per Paris day, all together. */
  readonly communicationRecipientsPerPractitionerPerDay: number;
}

/** The dev stage's values (infra/config.ts); also the default when QUOTAS is absent (tests, tools). */
export const DEFAULT_QUOTAS: Quotas = {
  openRequestsPerPatientPerPractitioner: 3,
  patientRequestsPerDay: 10,
  templatesPerPractitioner: 200,
  automationsPerPractitioner: 50,
  delegatesPerPractitioner: 20,
  pendingScheduledMessagesPerPractitioner: 500,
  communicationsPerPractitionerPerDay: 20,
  communicationRecipientsPerPractitionerPerDay: 20_000,
};

export type QuotaName = keyof Quotas;

/**
 * The quotas from the environment JSON: the defaults when it is absent; a
 * malformed value (not every quota, an unknown one, not an integer 1–1,000,000)
 * fails loudly (the first counting write): a typo must not lift a limit. Checked by hand, not
 * with zod: it runs in every bundle (ADR 0006).
 */
export const parseQuotas = (json: string | undefined): Quotas => {
  if (json === undefined || json === '') return DEFAULT_QUOTAS;
  const names = Object.keys(DEFAULT_QUOTAS);
  const value: unknown = JSON.parse(json);
  const entries = value && typeof value === 'object' ? Object.entries(value) : [];
  const valid =
    entries.length === names.length &&
    entries.every(([name, n]) => names.includes(name) && Number.isInteger(n) && n >= 1 && n <= 1_000_000);
  if (!valid) throw new Error('QUOTAS: every quota, integers 1-1000000');
  return value as Quotas;
};

/** Day windows are counted per calendar day in Paris, whatever the practitioner's own time zone. */
export const QUOTA_TIME_ZONE = 'Europe/Paris';

/** The Paris day an instant falls on (`YYYY-MM-DD`): the key of its window. */
export const quotaDay = (now: Date): string => localDate(now, QUOTA_TIME_ZONE);

/** The next Paris midnight: when a used-up day window opens again (a paused communication resumes). */
export const nextQuotaDayStart = (now: Date): Date => startOfNextLocalDay(now, QUOTA_TIME_ZONE);

/** Seconds until the next Paris midnight (at least 1): the Retry-After of a used-up day window. */
export const secondsUntilNextQuotaDay = (now: Date): number =>
  Math.max(1, Math.ceil((startOfNextLocalDay(now, QUOTA_TIME_ZONE).getTime() - now.getTime()) / 1000));

/**
 * A day window's item lives two days past the start of the next Paris day, then
 * TTL deletes it (TTL is lazy: a window is never read after its day, so a late
 * deletion is harmless).
 */
export const dayWindowExpiresAt = (now: Date): number =>
  Math.floor(startOfNextLocalDay(now, QUOTA_TIME_ZONE).getTime() / 1000) + 2 * 86_400;

/**
 * Retry-After of a count at its limit: it frees up when the practitioner treats a
 * request or the owner deletes something, which no clock predicts. An hour is
 * a hint for clients that retry on their own, not a promise.
 */
export const COUNT_RETRY_AFTER_SECONDS = 3600;
