/**
 * How long items that are not health records stay in the table once they have
 * served: the table's TTL (`expiresAt`, epoch seconds) deletes them then. Messages
 * and threads ARE health records: they are kept the medical record's legal
 * retention (below, 20 years by default) and only then deleted by TTL, as the
 * audit trail that documents them. Each retention says why it is that long;
 * docs/data-model.md ("Retention") lists them all.
 */
const DAY_MS = 24 * 60 * 60_000;

export const RETENTION = {
  /**
   * An appointment, after the later of its start and its last agenda event. It is
   * read by its automations (due up to 30 days after completion, plus retries), by
   * the appointment window and by templated messages (a message scheduled in the
   * month after it, up to a year ahead, still finds it at delivery); agenda events
   * reach it up to 14 days late (a DLQ redrive) or 90 days (an archive replay), and
   * must find it, never re-create it.
   */
  appointmentMs: 400 * DAY_MS,
  /**
   * An automation's exactly-once marker, after its message was sent (at or after the
   * completion). It alone stops a second message for the same appointment, so it
   * outlives every way the pair can run again — a redelivered or replayed
   * AppointmentCompleted (≤ 90 days), the delayed due work (≤ 30 days + retries) —
   * and the completed appointment it guards (400 days after its completion), by 30 days.
   */
  automationRunMs: 430 * DAY_MS,
  /**
   * A scheduled message once it ended (sent, cancelled, refused, failed): the
   * practitioner's history of what was planned and what became of it. A sent one's
   * message lives on in its thread; a refusal is acted on within days; the due
   * work that ran it is kept 30 days, so a late re-run still finds it.
   */
  scheduledMessageEndedMs: 90 * DAY_MS,
  /**
   * A group communication and its text, after its creation: the practitioner's
   * history of communications for a year. A fan-out ends within minutes (or is
   * given up after 15 minutes without progress), long before; the messages it sent
   * live on in their threads. (Its recipient markers: FANOUT_POLICY, 180 days.)
   */
  communicationMs: 365 * DAY_MS,
} as const;

/**
 * A patient's export (SPEC 11.6): the file and its item are deleted 7 days after
 * the request (the bucket's lifecycle rule, the item's TTL); a download link lives
 * 15 minutes.
 */
export const EXPORT_RETENTION_MS = 7 * DAY_MS;
export const EXPORT_DOWNLOAD_SECONDS = 15 * 60;

/**
 * The medical record — a thread and its messages — is kept this many years after
 * its last message, then the table's TTL deletes it: French law keeps a medical
 * record 20 years (Code de la santé publique, art. R1112-7), which limits the right
 * to erasure (GDPR art. 17(3)(c)). Per stage (infra/config.ts
 * `medicalRecordRetentionYears`, MEDICAL_RECORD_RETENTION_YEARS); 20 by default.
 */
export const DEFAULT_MEDICAL_RECORD_RETENTION_YEARS = 20;

/** The stage's retention (MEDICAL_RECORD_RETENTION_YEARS, set by CDK from infra/config.ts), read once; 20 by default. */
const MEDICAL_RECORD_YEARS =
  Number(process.env.MEDICAL_RECORD_RETENTION_YEARS) || DEFAULT_MEDICAL_RECORD_RETENTION_YEARS;

/** The thread's or message's TTL value (epoch seconds): `years` after `at`. */
export const medicalRecordExpiresAt = (at: string, years = MEDICAL_RECORD_YEARS): number => {
  const date = new Date(at);
  date.setUTCFullYear(date.getUTCFullYear() + years);
  return Math.floor(date.getTime() / 1000);
};

/** The TTL attribute's value: `ms` after the latest of `times` (ISO-8601), in epoch seconds. */
export const expiresAtAfter = (ms: number, ...times: readonly string[]): number =>
  Math.floor((Math.max(...times.map((time) => Date.parse(time))) + ms) / 1000);
