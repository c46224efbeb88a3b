/**
 * The due-work scale-out on the local stack (docs/adr/0005-due-work-scale-out.md):
 * the `due-work` schedule runs a quiet shard itself and hands a busy one to
 * `due-work-worker` through the same path as in AWS — an outbox item, the table
 * stream, the outbox publisher, the bus and the worker's rule — whether it is run
 * by hand (POST /local/schedules/due-work) or by moving the local clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dueWorkKeys } from '../../shared/db/keys.ts';
import { DUE_WORK_DISPATCH } from '../../shared/domain/due-work.ts';
import {
  createDueWorkRepository,
  type DueWorkRepository,
} from '../../shared/repositories/due-work-repository.ts';
import { startTestApi, type TestApi } from '../support/local-api.ts';

let t: TestApi;
let dueWork: DueWorkRepository;

beforeAll(async () => {
  t = await startTestApi();
  dueWork = createDueWorkRepository({ client: t.table.doc, tableName: t.table.tableName });
});

afterAll(() => t?.stop());

/** `count` work ids on `shard`: automations of an appointment the service never heard of (skipped when run). */
const idsOnShard = (shard: number, count: number, prefix: string) => {
  const ids: string[] = [];
  for (let i = 0; ids.length < count; i++) {
    const id = `${prefix}-${i}`;
    if (dueWorkKeys.index(id, 'x').gsi5pk === dueWorkKeys.shardPartition(shard)) ids.push(id);
  }
  return ids;
};

const schedule = async (ids: string[], dueAt: string) => {
  const now = (await t.clock.now()).toISOString();
  for (const workId of ids) {
    const payload = { practitionerId: 'dr-e2e-due', automationId: 'auto-gone', appointmentId: workId };
    expect(await dueWork.schedule({ workId, kind: 'automation', payload, dueAt }, now)).toBe('scheduled');
  }
};

const states = async (ids: string[]) =>
  (await Promise.all(ids.map((id) => dueWork.get(id)))).map((w) => `${w?.state}/${w?.attempts}`);

const shardRequests = async () =>
  (await t.api.get('/local/events', { query: { detailType: 'DueWorkShardRequested' } })).body.items as Array<{
    detail: { data: { shard: number; seq: number } };
  }>;

describe('due work on the local stack', () => {
  it('the schedule runs a quiet shard itself; a busy one is drained by a worker through the bus', async () => {
    const busy = idsOnShard(4, DUE_WORK_DISPATCH.inlinePerShard * 3, 'busy');
    const quiet = idsOnShard(11, 3, 'quiet');
    await schedule([...busy, ...quiet], new Date(Date.now() - 60_000).toISOString());

    const run = await t.api.post('/local/schedules/due-work');
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ target: 'due-work-sweep' });
    expect(run.body.result).toMatchObject({ claimed: quiet.length, skipped: quiet.length, handedOn: 1 });
    await t.bus.drain();

    expect(await states([...busy, ...quiet])).toEqual([...busy, ...quiet].map(() => 'skipped/1'));
    const requests = await shardRequests();
    expect(requests.map((e) => e.detail.data)).toContainEqual(expect.objectContaining({ shard: 4, seq: 0 }));
    expect(t.bus.deadLetters).toEqual([]);
  });

  it('moving the clock past a burst runs the schedule, and the workers it hands on to, before answering', async () => {
    const burst = idsOnShard(6, DUE_WORK_DISPATCH.inlinePerShard * 2, 'later');
    const dueAt = new Date((await t.clock.now()).getTime() + 10 * 60_000).toISOString();
    await schedule(burst, dueAt);
    expect(await states(burst)).toEqual(burst.map(() => 'pending/0'));

    const moved = await t.clock.advance('PT11M');
    expect(moved.schedulesRun.find((r) => r.schedule === 'due-work')).toMatchObject({
      ok: true,
      result: { handedOn: 1 },
    });
    expect(await states(burst)).toEqual(burst.map(() => 'skipped/1'));
  });
});
