/**
 * The due-work queue drained by parallel workers (docs/adr/0005-due-work-scale-out.md),
 * on DynamoDB Local: the `due-work` tick runs quiet shards itself and hands busy
 * ones on (DueWorkShardRequested in the outbox); the test delivers those events
 * the way EventBridge would drive `due-work-worker` — several at once, some
 * twice (at-least-once) — and every item must run exactly once.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DUE_WORK_SHARDS, dueWorkKeys } from '../../shared/db/keys.ts';
import { DUE_WORK_DISPATCH } from '../../shared/domain/due-work.ts';
import {
  type DueWorkRunner,
  runDueShard,
  type ShardRequest,
  sweepDueWork,
  type WorkerSummary,
} from '../../shared/use-cases/due-work.ts';
import { createTestContext, type TestContext } from './harness.ts';

const DUE_AT = '2026-05-14T08:00:00.000Z';
const MINUTE = 60_000;

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext(DUE_AT);
});

const schedule = async (workIds: string[]) => {
  const now = ctx.clock.now().toISOString();
  for (let i = 0; i < workIds.length; i += 25) {
    await Promise.all(
      workIds
        .slice(i, i + 25)
        .map((workId) =>
          ctx.deps.dueWork.schedule({ workId, kind: 'automation', payload: {}, dueAt: DUE_AT }, now),
        ),
    );
  }
};

/** `count` work ids that all land on `shard`. */
const idsOnShard = (shard: number, count: number, prefix = 'w') => {
  const ids: string[] = [];
  for (let i = 0; ids.length < count; i++) {
    const id = `${prefix}-${i}`;
    if (dueWorkKeys.index(id, DUE_AT).gsi5pk === dueWorkKeys.shardPartition(shard)) ids.push(id);
  }
  return ids;
};

/** A runner that records each run and yields, so parallel runs interleave. */
const countingRunners = () => {
  const runs: string[] = [];
  const runner: DueWorkRunner = async (_deps, _payload, work) => {
    runs.push(work.workId);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
    return { outcome: 'done' };
  };
  return { runs, runners: { automation: runner } };
};

/** The DueWorkShardRequested events committed since `from` (an index into ctx.published). */
const shardRequests = (from = 0): ShardRequest[] =>
  ctx.published
    .slice(from)
    .filter((e) => e.detailType === 'DueWorkShardRequested')
    .map((e) => e.data as unknown as ShardRequest);

const stillDue = async () => {
  const now = ctx.clock.now().toISOString();
  let due = 0;
  for (const shard of dueWorkKeys.shards())
    due += (await ctx.deps.dueWork.findDue(shard, now, 1000)).items.length;
  return due;
};

describe('the due-work tick', () => {
  it('runs a quiet shard itself and hands a busy one to a worker', async () => {
    const busy = idsOnShard(3, DUE_WORK_DISPATCH.inlinePerShard + 1, 'busy');
    const quiet = idsOnShard(5, DUE_WORK_DISPATCH.inlinePerShard, 'quiet');
    await schedule([...busy, ...quiet]);
    const { runs, runners } = countingRunners();

    const tick = await sweepDueWork(ctx.as('due-work-sweep'), { runners });

    expect(tick).toMatchObject({ claimed: quiet.length, done: quiet.length, lost: 0, handedOn: 1 });
    expect(runs.sort()).toEqual([...quiet].sort());
    expect(shardRequests()).toEqual([{ shard: 3, seq: 0, tickAt: DUE_AT, requestedAt: DUE_AT }]);
    expect(await stillDue()).toBe(busy.length);
  });

  it('hands nothing on when nothing is due', async () => {
    await schedule(['later']);
    ctx.clock.set('2026-05-14T07:59:59.999Z');
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 0, handedOn: 0 });
    expect(shardRequests()).toEqual([]);
  });
});

describe('a due-work worker', () => {
  it('stops at its bound and hands the rest on, the chain carrying its tick time, until the shard is empty', async () => {
    const ids = idsOnShard(7, 30);
    await schedule(ids);
    const { runs, runners } = countingRunners();
    expect(await sweepDueWork(ctx.as('due-work-sweep'), { runners })).toMatchObject({
      handedOn: 1,
      claimed: 0,
    });

    const worker = ctx.as('due-work-worker');
    const summaries: WorkerSummary[] = [];
    let seen = 0;
    for (let request = shardRequests()[0]; request; request = shardRequests(seen)[0]) {
      seen = ctx.published.length;
      ctx.clock.advance(5_000);
      summaries.push(await runDueShard(worker, request, { runners, maxItems: 12 }));
    }

    expect(summaries.map((s) => [s.shard, s.done, s.more, s.handedOn])).toEqual([
      [7, 12, true, true],
      [7, 12, true, true],
      [7, 6, false, false],
    ]);
    expect(shardRequests().map((r) => [r.shard, r.seq, r.tickAt])).toEqual([
      [7, 0, DUE_AT],
      [7, 1, DUE_AT],
      [7, 2, DUE_AT],
    ]);
    expect(runs.sort()).toEqual([...ids].sort());
    expect(await stillDue()).toBe(0);
  });

  it('a chain a tick interval old leaves the rest to the next tick, which starts a new chain', async () => {
    const ids = idsOnShard(2, 25);
    await schedule(ids);
    const { runs, runners } = countingRunners();
    await sweepDueWork(ctx.as('due-work-sweep'), { runners });
    const [first] = shardRequests();
    if (!first) throw new Error('the tick handed nothing on');

    ctx.clock.advance(DUE_WORK_DISPATCH.tickMinutes * MINUTE);
    const late = await runDueShard(ctx.as('due-work-worker'), first, { runners, maxItems: 5 });
    expect(late).toMatchObject({ done: 5, more: true, handedOn: false });
    expect(shardRequests()).toHaveLength(1);

    const before = ctx.published.length;
    expect(await sweepDueWork(ctx.as('due-work-sweep'), { runners })).toMatchObject({ handedOn: 1 });
    const tickAt = ctx.clock.now().toISOString();
    expect(shardRequests(before)).toEqual([{ shard: 2, seq: 0, tickAt, requestedAt: tickAt }]);
    expect(runs).toHaveLength(5);
  });

  it('a worker that finds its shard already drained does nothing and hands nothing on', async () => {
    const summary = await runDueShard(ctx.as('due-work-worker'), { shard: 9, seq: 4, tickAt: DUE_AT });
    expect(summary).toMatchObject({ claimed: 0, lost: 0, more: false, handedOn: false });
    expect(shardRequests()).toEqual([]);
  });
});

describe('many items due at once', () => {
  it('500 items, overlapping ticks, 8 workers at a time, duplicate deliveries: each item runs exactly once', async () => {
    const ITEMS = 500;
    const PARALLEL_WORKERS = 8;
    const ids = Array.from({ length: ITEMS }, (_, i) => `burst-${String(i).padStart(3, '0')}`);
    await schedule(ids);
    const { runs, runners } = countingRunners();
    const worker = ctx.as('due-work-worker');

    // Two ticks at once (a late Lambda and the next one), then the events they handed on, delivered by a
    // pool of 8 (EventBridge invoking the worker in parallel), every third one twice; a worker stops after
    // 15 claims (its time budget), so chains must hand on. A third tick lands while the workers run.
    const ticks = await Promise.all([1, 2].map(() => sweepDueWork(ctx.as('due-work-sweep'), { runners })));
    const pending: ShardRequest[] = [];
    let read = 0;
    const collect = () => {
      const fresh = shardRequests(read);
      read = ctx.published.length;
      fresh.forEach((request, i) => {
        pending.push(request);
        if (i % 3 === 0) pending.push({ ...request });
      });
    };
    collect();
    const summaries: WorkerSummary[] = [];
    let deliveries = 0;
    const lane = async () => {
      for (let request = pending.shift(); request; request = pending.shift()) {
        deliveries++;
        summaries.push(await runDueShard(worker, request, { runners, maxItems: 15 }));
        collect();
        if (deliveries === 10) ticks.push(await sweepDueWork(ctx.as('due-work-sweep'), { runners }));
      }
    };
    // Lanes end when nothing is pending; an event committed meanwhile restarts them.
    do {
      await Promise.all(Array.from({ length: PARALLEL_WORKERS }, lane));
      collect();
    } while (pending.length > 0);

    const total = (key: 'claimed' | 'done' | 'lost' | 'retried' | 'failed') =>
      [...ticks, ...summaries].reduce((n, s) => n + s[key], 0);
    // Exactly once: every item ran, none twice; each was claimed once and is done with one attempt.
    expect(runs).toHaveLength(ITEMS);
    expect(new Set(runs).size).toBe(ITEMS);
    expect(total('claimed')).toBe(ITEMS);
    expect(total('done')).toBe(ITEMS);
    expect(total('retried') + total('failed')).toBe(0);
    const items = await Promise.all(ids.map((id) => ctx.deps.dueWork.get(id)));
    expect(items.filter((w) => w?.state === 'done' && w.attempts === 1)).toHaveLength(ITEMS);
    expect(await stillDue()).toBe(0);
    // The work was shared: every shard was drained by workers, and chains handed on.
    expect(new Set(summaries.filter((s) => s.claimed > 0).map((s) => s.shard)).size).toBe(DUE_WORK_SHARDS);
    expect(shardRequests().some((r) => r.seq > 0)).toBe(true);
    expect(summaries.some((s) => s.handedOn)).toBe(true);
  });
});
