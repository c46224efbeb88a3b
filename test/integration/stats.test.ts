/**
 * SPEC 11.5 on DynamoDB Local: the statistics kept from a random history of events — delivered out of
 * order, some twice, some concurrently — equal a brute-force computation over the same history.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../shared/db/client.ts';
import { calendarDay } from '../../shared/domain/time-to-treat.ts';
import { createStatsRepository, type StatsRepository } from '../../shared/repositories/stats-repository.ts';
import {
  practitionerStats,
  recordMessageReceived,
  recordThreadTreated,
  STATS_TIME_ZONE,
} from '../../shared/use-cases/stats.ts';
import { newTable } from './harness.ts';

type Event =
  | { kind: 'received'; threadId: string; messageId: string; at: string }
  | { kind: 'treated'; threadId: string; at: string };

const BASE = Date.parse('2026-03-20T08:00:00Z'); // spans the change to summer time (29 March) in Paris
const HOUR = 3_600_000;
const at = (minutes: number) => new Date(BASE + minutes * 60_000).toISOString();

/** Up to 3 threads, each with up to 4 patient messages and up to 3 treats, within 12 days. */
const historyArb = fc
  .array(
    fc.record({
      messages: fc.array(fc.integer({ min: 0, max: 12 * 24 * 60 }), { maxLength: 4 }),
      treats: fc.array(fc.integer({ min: 0, max: 12 * 24 * 60 }), { maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 3 },
  )
  .map((threads) =>
    threads.flatMap((thread, t): Event[] => [
      ...thread.messages.map(
        (m, i): Event => ({ kind: 'received', threadId: `t${t}`, messageId: `m${t}-${i}`, at: at(m) }),
      ),
      ...thread.treats.map((m): Event => ({ kind: 'treated', threadId: `t${t}`, at: at(m) })),
    ]),
  );

/** The figures straight from the events: every message, the first treat of its thread at or after it. */
const bruteForce = (events: readonly Event[], from: string, to: string) => {
  const dayOf = calendarDay(STATS_TIME_ZONE);
  const inRange = (iso: string) => dayOf(iso) >= from && dayOf(iso) <= to;
  const messages = new Map<string, Event & { kind: 'received' }>();
  for (const e of events) if (e.kind === 'received') messages.set(e.messageId, e);
  const treats = events.filter((e) => e.kind === 'treated');
  let received = 0;
  let open = 0;
  let oldestOpenDay: string | null = null;
  const durations: number[] = [];
  for (const m of messages.values()) {
    const treatedAt = treats
      .filter((t) => t.threadId === m.threadId && Date.parse(t.at) >= Date.parse(m.at))
      .map((t) => Date.parse(t.at))
      .sort((a, b) => a - b)[0];
    if (inRange(m.at)) {
      received += 1;
      if (treatedAt === undefined) {
        open += 1;
        if (oldestOpenDay === null || dayOf(m.at) < oldestOpenDay) oldestOpenDay = dayOf(m.at);
      }
    }
    if (treatedAt !== undefined && inRange(new Date(treatedAt).toISOString()))
      durations.push(treatedAt - Date.parse(m.at));
  }
  durations.sort((a, b) => a - b);
  const hoursAt = (p: number) => {
    if (durations.length === 0) return null;
    const ms = durations[Math.max(1, Math.ceil(p * durations.length)) - 1] as number;
    return Math.min(168, Math.floor(ms / HOUR) + 1);
  };
  return {
    requestsReceived: received,
    requestsTreated: durations.length,
    medianHoursToTreat: hoursAt(0.5),
    p90HoursToTreat: hoursAt(0.9),
    treatedWithin48hShare:
      durations.length === 0 ? null : durations.filter((d) => d <= 48 * HOUR).length / durations.length,
    openBacklog: open,
    oldestOpenDay,
  };
};

let db: Db;
let stats: StatsRepository;
beforeAll(async () => {
  db = await newTable();
  stats = createStatsRepository(db);
});

const deliver = (practitionerId: string, e: Event) =>
  e.kind === 'received'
    ? recordMessageReceived(stats, {
        practitionerId,
        threadId: e.threadId,
        messageId: e.messageId,
        receivedAt: e.at,
      })
    : recordThreadTreated(stats, { practitionerId, threadId: e.threadId, treatedAt: e.at });

let run = 0;

describe('time-to-treat statistics (SPEC 11.5)', () => {
  it('equal a brute-force computation, whatever the order, the replays and the races of the deliveries', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyArb.chain((events) =>
          fc.record({
            events: fc.constant(events),
            // The deliveries: the events shuffled, some of them twice, in small concurrent batches.
            order: fc.shuffledSubarray([...events.keys(), ...events.keys()], {
              minLength: events.length * 2,
              maxLength: events.length * 2,
            }),
            replays: fc.array(fc.nat({ max: Math.max(0, events.length - 1) }), { maxLength: 3 }),
            batch: fc.integer({ min: 1, max: 3 }),
            range: fc.tuple(fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 13 })),
          }),
        ),
        async ({ events, order, replays, batch, range }) => {
          run += 1;
          const practitionerId = `dr-${run}`;
          const deliveries = [...order, ...(events.length > 0 ? replays : [])].map((i) => events[i] as Event);
          for (let i = 0; i < deliveries.length; i += batch) {
            await Promise.all(deliveries.slice(i, i + batch).map((e) => deliver(practitionerId, e)));
          }
          const day = (offset: number) => new Date(BASE + offset * 24 * HOUR).toISOString().slice(0, 10);
          const [a, b] = range[0] <= range[1] ? range : [range[1], range[0]];
          const from = day(a);
          const to = day(b);
          const answer = await practitionerStats(stats, practitionerId, { from, to });
          expect(answer.total).toEqual(bruteForce(events, from, to));
          // The weeks add up to the total.
          expect(answer.weeks.reduce((n, w) => n + w.requestsReceived, 0)).toBe(
            answer.total.requestsReceived,
          );
          expect(answer.weeks.reduce((n, w) => n + w.requestsTreated, 0)).toBe(answer.total.requestsTreated);
        },
      ),
      { numRuns: 40 },
    );
  }, 240_000);

  it('a replayed event changes nothing', async () => {
    const received = { practitionerId: 'dr-replay', threadId: 't', messageId: 'm', receivedAt: at(0) };
    expect(await recordMessageReceived(stats, received)).toBe('changed');
    expect(await recordMessageReceived(stats, received)).toBe('unchanged');
    const treated = { practitionerId: 'dr-replay', threadId: 't', treatedAt: at(90) };
    expect(await recordThreadTreated(stats, treated)).toBe('changed');
    const before = await stats.days('dr-replay', '2026-03-01', '2026-04-30');
    expect(await recordThreadTreated(stats, treated)).toBe('unchanged');
    expect(await stats.days('dr-replay', '2026-03-01', '2026-04-30')).toEqual(before);
    const answer = await practitionerStats(stats, 'dr-replay', { from: '2026-03-20', to: '2026-03-20' });
    expect(answer.total).toMatchObject({ requestsReceived: 1, requestsTreated: 1, medianHoursToTreat: 2 });
  });
});
