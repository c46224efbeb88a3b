import { DueWorkShardRequested } from '../../events/due-work-shard-requested.ts';
import { dueWorkKeys } from '../db/keys.ts';
import {
  addMs,
  chainMayContinue,
  DUE_WORK_DISPATCH,
  DUE_WORK_POLICY,
  type DueWorkKind,
  retryDelayMs,
} from '../domain/due-work.ts';
import type { ClaimedDueWork } from '../repositories/due-work-repository.ts';
import { logger, metrics } from '../runtime/logger.ts';
import { event, type PublishedEvent } from '../runtime/publisher.ts';
import { expireUnusedAttachment } from './attachments.ts';
import { automationWorkSchema, runAutomation } from './automations.ts';
import { checkCommunicationProgress, communicationWatchdogSchema } from './communications.ts';
import type { Deps } from './deps.ts';
import { deliverScheduledMessage, scheduledMessageWorkSchema } from './scheduled-messages.ts';

export type DueWorkResult =
  | { outcome: 'done' | 'skipped' | 'failed'; reason?: string }
  /** Not possible yet: run again at `at` (default: the backoff of this attempt). */
  | { outcome: 'retry'; reason: string; at?: string };

export type DueWorkRunner = (
  deps: Deps,
  payload: Record<string, string>,
  work: ClaimedDueWork,
) => Promise<DueWorkResult>;

export const RUNNERS: Record<DueWorkKind, DueWorkRunner> = {
  automation: async (deps, payload) => {
    const result = await runAutomation(deps, automationWorkSchema.parse(payload));
    switch (result.outcome) {
      case 'sent':
        return { outcome: 'done' };
      case 'not-ready':
        return { outcome: 'retry', reason: result.reason };
      default:
        return result;
    }
  },
  // Deferred sending: delivered once at its time, or refused under the rules of that moment (recorded
  // on the message). The last attempt records an unexpected error as `failed` rather than leave it pending.
  'scheduled-message': async (deps, payload, work) => {
    const result = await deliverScheduledMessage(deps, scheduledMessageWorkSchema.parse(payload), {
      finalAttempt: work.attempts >= DUE_WORK_POLICY.maxAttempts,
    });
    switch (result.outcome) {
      case 'sent':
        return { outcome: 'done' };
      case 'refused':
        return { outcome: 'skipped', reason: `refused:${result.reason}` };
      default:
        return result;
    }
  },
  // Attachments (docs/adr/0016): one no message took is deleted 24 hours after its upload URL (its object
  // follows through AttachmentRemoved); one a message took stays with the medical record.
  'attachment-expiry': async (deps, payload) => {
    const { attachmentId, reservedFor } = attachmentExpiryPayload(payload);
    const outcome = await expireUnusedAttachment(deps, attachmentId, reservedFor);
    return outcome === 'deleted' ? { outcome: 'done' } : { outcome: 'skipped', reason: outcome };
  },
  // Group communications: resumes a fan-out that stopped moving; schedules its own next check.
  'communication-watchdog': async (deps, payload) => {
    const outcome = await checkCommunicationProgress(deps, communicationWatchdogSchema.parse(payload));
    return outcome === 'given-up'
      ? { outcome: 'failed', reason: 'communication-stalled' }
      : { outcome: 'done', reason: outcome };
  },
};

/** What is read of an attachment-expiry item: the attachment's id. */
const attachmentExpiryPayload = (payload: Record<string, string>) => {
  const attachmentId = payload.attachmentId;
  if (typeof attachmentId !== 'string' || attachmentId === '')
    throw new Error('attachment-expiry without an id');
  // Set on the expiry of a deferred message's reservation (shared/use-cases/scheduled-messages.ts).
  return {
    attachmentId,
    reservedFor: typeof payload.reservedFor === 'string' ? payload.reservedFor : undefined,
  };
};

export interface SweepSummary {
  claimed: number;
  done: number;
  skipped: number;
  retried: number;
  failed: number;
  /** Items another sweep (or a cancel) took first. */
  lost: number;
}

export interface TickSummary extends SweepSummary {
  /** Shards with more due than the tick runs itself, handed to workers (DueWorkShardRequested). */
  handedOn: number;
}

export interface ShardDrainSummary extends SweepSummary {
  /** Due items were left when the drain stopped (budget or item bound): someone must carry on. */
  more: boolean;
}

export interface WorkerSummary extends ShardDrainSummary {
  shard: number;
  /** The rest was handed on to the next worker of the chain (false: left to the next tick, or nothing left). */
  handedOn: boolean;
}

interface RunOptions {
  /** Asked before each new claim: false stops (e.g. the Lambda is near its timeout). */
  shouldContinue?: () => boolean;
  runners?: Record<string, DueWorkRunner>;
}

export interface SweepOptions extends RunOptions {
  /** The tick runs a shard itself when at most this many items are due there. */
  inlinePerShard?: number;
  /** Runs at the same time per shard, in the tick. */
  concurrency?: number;
}

export interface DrainOptions extends RunOptions {
  /** Items read per Query page. */
  pageSize?: number;
  /** Runs at the same time. */
  concurrency?: number;
  /** Claims attempted at most (lost ones included). */
  maxItems?: number;
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : 'Error');

const emptySummary = (): SweepSummary => ({
  claimed: 0,
  done: 0,
  skipped: 0,
  retried: 0,
  failed: 0,
  lost: 0,
});

type DueItem = { workId: string; indexSortKey: string };

/**
 * Claims one due item (conditioned on the exact index position read), runs its
 * runner and records the outcome: finished, or back in the queue after a backoff
 * until the last attempt. Counts into `summary`.
 */
const runOne = async (
  deps: Deps,
  item: DueItem,
  now: string,
  runners: Record<string, DueWorkRunner>,
  summary: SweepSummary,
): Promise<void> => {
  const claimed = await deps.dueWork.claim(item.workId, item.indexSortKey, now);
  if (!claimed) {
    summary.lost++;
    return;
  }
  summary.claimed++;
  metrics.addMetric(
    'DueWorkLagSeconds',
    'Seconds',
    Math.max(0, (Date.parse(now) - Date.parse(claimed.dueAt)) / 1000),
  );
  const runner = runners[claimed.kind];
  let result: DueWorkResult;
  if (!runner) {
    result = { outcome: 'failed', reason: `no runner for kind ${claimed.kind}` };
  } else {
    try {
      result = await runner(deps, claimed.payload, claimed);
    } catch (error) {
      // Transient (throttling, a network error…): the backoff retries it.
      logger.warn('Due work run threw', {
        workId: claimed.workId,
        kind: claimed.kind,
        errorName: errorName(error),
      });
      result = { outcome: 'retry', reason: errorName(error) };
    }
  }
  const finishedAt = deps.clock.now().toISOString();
  if (result.outcome === 'retry') {
    if (claimed.attempts >= DUE_WORK_POLICY.maxAttempts) {
      metrics.addMetric('DueWorkFailed', 'Count', 1);
      logger.error('Due work given up', {
        workId: claimed.workId,
        kind: claimed.kind,
        reason: result.reason,
      });
      summary.failed++;
      await deps.dueWork.finish(claimed, 'failed', `gave up: ${result.reason}`, finishedAt);
      return;
    }
    summary.retried++;
    const backoff = addMs(finishedAt, retryDelayMs(claimed.attempts));
    // Never due again within this run (its upper bound is `now`): no run loop.
    const at = result.at && result.at > now ? result.at : backoff;
    await deps.dueWork.retryAt(claimed, at, result.reason);
    return;
  }
  summary[result.outcome]++;
  if (result.outcome === 'failed') {
    metrics.addMetric('DueWorkFailed', 'Count', 1);
    logger.error('Due work failed', { workId: claimed.workId, kind: claimed.kind, reason: result.reason });
  }
  await deps.dueWork.finish(claimed, result.outcome, result.reason ?? null, finishedAt);
};

/** Runs `items` with at most `limit` at a time, asking `shouldContinue` before each. */
const runAll = async (
  limit: number,
  items: DueItem[],
  run: (item: DueItem) => Promise<void>,
  go: () => boolean,
) => {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined && go(); item = queue.shift()) await run(item);
    }),
  );
};

/**
 * Drains one shard as of now: pages of due items feed `concurrency` lanes (the
 * next page is read while the last items of the current one run), until nothing
 * is due, `maxItems` claims were attempted, or `shouldContinue` says stop. Tells
 * whether due items are left (one Query of one item, from the start: claimed
 * items have left the `<= now` range).
 */
export const drainDueShard = async (
  deps: Deps,
  shard: number,
  options: DrainOptions = {},
): Promise<ShardDrainSummary> => {
  const pageSize = options.pageSize ?? DUE_WORK_DISPATCH.workerPageSize;
  const concurrency = options.concurrency ?? DUE_WORK_DISPATCH.workerConcurrency;
  const maxItems = options.maxItems ?? Number.POSITIVE_INFINITY;
  const shouldContinue = options.shouldContinue ?? (() => true);
  const runners = options.runners ?? RUNNERS;
  const partition = dueWorkKeys.shardPartition(shard);
  const now = deps.clock.now().toISOString();
  const summary = emptySummary();

  const queue: DueItem[] = [];
  let start: Record<string, unknown> | undefined;
  let exhausted = false;
  let reading: Promise<void> | null = null;
  const readPage = () => {
    reading ??= deps.dueWork
      .findDue(partition, now, pageSize, start)
      .then((page) => {
        queue.push(...page.items);
        start = page.lastKey;
        if (!start) exhausted = true;
      })
      .finally(() => {
        reading = null;
      });
    return reading;
  };
  const next = async (): Promise<DueItem | undefined> => {
    while (queue.length === 0 && !exhausted) await readPage();
    const item = queue.shift();
    // Read ahead while the lanes are still busy, so they never wait for a page at its end.
    if (queue.length < concurrency && !exhausted && !reading) void readPage().catch(() => {});
    return item;
  };

  // A lane takes its slot before it awaits an item, so the lanes never claim more than maxItems together.
  let slots = 0;
  let stopped = false;
  const takeSlot = () => {
    if (stopped || slots >= maxItems || !shouldContinue()) stopped = true;
    else slots++;
    return !stopped;
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (takeSlot()) {
        const item = await next();
        if (!item) return;
        await runOne(deps, item, now, runners, summary);
      }
    }),
  );
  if (reading) await (reading as Promise<void>).catch(() => {});
  const more =
    stopped && (queue.length > 0 || !exhausted)
      ? (await deps.dueWork.findDue(partition, deps.clock.now().toISOString(), 1)).items.length > 0
      : false;
  return { ...summary, more };
};

const shardRequested = (shard: number, seq: number, tickAt: string, now: string): PublishedEvent =>
  event(DueWorkShardRequested, { shard, seq, tickAt, requestedAt: now });

/** One outbox item holds at most 25 events (outbox-repository.ts). */
const OUTBOX_EVENTS_PER_ITEM = 25;

/**
 * The `due-work` tick (every minute). One Query per shard tells how much is due
 * there: a shard with at most `inlinePerShard` items runs them here (the usual
 * case: no extra hop, the same latency as before); a shard with more is handed to
 * a worker (DueWorkShardRequested through the outbox), which drains it in
 * parallel with the other shards' workers. What it runs itself is bounded
 * (shards × inlinePerShard), so the tick always ends well inside its timeout.
 */
export const sweepDueWork = async (deps: Deps, options: SweepOptions = {}): Promise<TickSummary> => {
  const inlinePerShard = options.inlinePerShard ?? DUE_WORK_DISPATCH.inlinePerShard;
  const concurrency = options.concurrency ?? DUE_WORK_DISPATCH.inlineConcurrency;
  const shouldContinue = options.shouldContinue ?? (() => true);
  const runners = options.runners ?? RUNNERS;
  const now = deps.clock.now().toISOString();
  const summary = emptySummary();

  const probes = await Promise.all(
    dueWorkKeys.shardNumbers().map(async (shard) => ({
      shard,
      page: await deps.dueWork.findDue(dueWorkKeys.shardPartition(shard), now, inlinePerShard + 1),
    })),
  );
  const busy = probes.filter((p) => p.page.items.length > inlinePerShard).map((p) => p.shard);
  // Handed on first, so a slow run here never delays the workers.
  for (let i = 0; i < busy.length; i += OUTBOX_EVENTS_PER_ITEM) {
    await deps.outbox.write(
      busy.slice(i, i + OUTBOX_EVENTS_PER_ITEM).map((shard) => shardRequested(shard, 0, now, now)),
    );
  }
  if (busy.length > 0) metrics.addMetric('DueWorkShardsHandedOn', 'Count', busy.length);

  await Promise.all(
    probes
      .filter((p) => p.page.items.length <= inlinePerShard)
      .map((p) =>
        runAll(
          concurrency,
          p.page.items,
          (item) => runOne(deps, item, now, runners, summary),
          shouldContinue,
        ),
      ),
  );
  return { ...summary, handedOn: busy.length };
};

export interface ShardRequest {
  shard: number;
  seq: number;
  tickAt: string;
}

/**
 * A `due-work-worker` delivery: drains one shard for its time budget, then hands
 * what is left on to the next worker of the chain (through the outbox, like the
 * fan-out's chunks) — unless the chain is a tick interval old: the tick that
 * came meanwhile has started a fresh one. A duplicate delivery only makes two
 * workers share the shard (claims are conditional) until the chain ends.
 */
export const runDueShard = async (
  deps: Deps,
  request: ShardRequest,
  options: DrainOptions = {},
): Promise<WorkerSummary> => {
  const drained = await drainDueShard(deps, request.shard, options);
  const now = deps.clock.now().toISOString();
  const handedOn = drained.more && chainMayContinue(request.tickAt, now);
  if (handedOn) {
    await deps.outbox.write([shardRequested(request.shard, request.seq + 1, request.tickAt, now)]);
  }
  return { ...drained, shard: request.shard, handedOn };
};
