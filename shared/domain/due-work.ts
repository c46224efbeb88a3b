/**
 * Deferred work: an item in the due index (gsi5) swept every minute by the
 * `due-work` schedule. Each kind has a runner (shared/use-cases/due-work.ts).
 * A run claims the item with a lease first, so two sweeps never run it at the
 * same time; a crashed run is retried when its lease ends, so runners must be
 * idempotent (automations write an exactly-once marker with their message).
 */
export const DUE_WORK_KINDS = [
  'automation',
  /** A deferred message (issue 6): delivered at its sendAt, once. */
  'scheduled-message',
  /** Checks that a group communication's fan-out is progressing; resumes it when stalled. */
  'communication-watchdog',
] as const;
export type DueWorkKind = (typeof DUE_WORK_KINDS)[number];

export type DueWorkState = 'pending' | 'done' | 'skipped' | 'failed';

export interface DueWork {
  workId: string;
  kind: DueWorkKind;
  /** Ids only: the runner re-reads everything else when it runs. */
  payload: Record<string, string>;
  dueAt: string;
  state: DueWorkState;
  attempts: number;
  createdAt: string;
}

export const DUE_WORK_POLICY = {
  /** A claimed item is not run again before this, unless its run reports back. */
  leaseMs: 5 * 60_000,
  /** Runs after which a failing item is given up (state `failed`, metric, error log). */
  maxAttempts: 6,
  /** Finished items are kept this long for operators, then removed by the table's TTL. */
  keepFinishedMs: 30 * 24 * 60 * 60_000,
} as const;

/** Retry n (1-based) waits 1, 2, 4, 8… minutes, at most an hour. */
export const retryDelayMs = (attempt: number): number => Math.min(60, 2 ** Math.max(0, attempt - 1)) * 60_000;

export const addMs = (iso: string, ms: number): string =>
  new Date(new Date(iso).getTime() + ms).toISOString();
