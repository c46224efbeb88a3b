/**
 * Deferred work: an item in the due index (gsi5) swept every minute by the
 * `due-work` schedule (and, under a backlog, by parallel `due-work-worker`s). Each kind has a runner (shared/use-cases/due-work.ts).
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
  /** Deletes an attachment no message took, 24 hours after its upload URL was made (its object follows). */
  'attachment-expiry',
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

/**
 * How the queue is drained (docs/adr/0005-due-work-scale-out.md): the `due-work`
 * tick reads every shard; a shard with a few items due runs them in the tick, a
 * shard with more is handed to a `due-work-worker` (a DueWorkShardRequested
 * event), which drains it with bounded concurrency for a time budget and hands
 * the rest on to itself — for one tick interval at most, after which the next
 * tick starts a fresh chain. So at most two workers (a chain ending, a chain
 * starting) drain one shard at a time, whatever the backlog.
 */
export const DUE_WORK_DISPATCH = {
  /** Minutes between ticks (the `due-work` schedule). */
  tickMinutes: 1,
  /** The tick runs a shard itself when at most this many items are due there; more goes to a worker. */
  inlinePerShard: 10,
  /** Runs at the same time in the tick, per shard. */
  inlineConcurrency: 5,
  /**
   * Runs at the same time in a worker. ~10 runs of ~50 ms each ≈ 200 items/s, under what one
   * shard's index partition takes (≈ 250 items/s: 1,000 WCU/s, 4 index writes per item).
   */
  workerConcurrency: 10,
  /** A worker stops claiming after this long and hands the rest on (its Lambda times out at 30 s). */
  workerBudgetMs: 20_000,
  /** Items read per Query page in a worker. */
  workerPageSize: 25,
} as const;

/** A chain of workers hands on only within the tick interval that started it; the next tick starts another. */
export const chainMayContinue = (tickAt: string, now: string): boolean =>
  Date.parse(now) - Date.parse(tickAt) < DUE_WORK_DISPATCH.tickMinutes * 60_000;

/** Retry n (1-based) waits 1, 2, 4, 8… minutes, at most an hour. */
export const retryDelayMs = (attempt: number): number => Math.min(60, 2 ** Math.max(0, attempt - 1)) * 60_000;

export const addMs = (iso: string, ms: number): string =>
  new Date(new Date(iso).getTime() + ms).toISOString();
