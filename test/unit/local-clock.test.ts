import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clockRequestSchema,
  describeDuration,
  LocalClock,
  MAX_ADVANCE_MS,
  parseIsoDuration,
} from '../../local/clock.ts';
import { clockNote } from '../../local/local-routes.ts';
import { LocalScheduler } from '../../local/scheduler.ts';

const H = 3_600_000;
const D = 24 * H;

describe('ISO-8601 durations', () => {
  it.each([
    ['PT25H', 25 * H],
    ['P1D', D],
    ['P2DT3H30M', 2 * D + 3 * H + 30 * 60_000],
    ['PT90S', 90_000],
    ['PT1.5S', 1_500],
    ['PT0,25S', 250],
    ['PT1M', 60_000],
    ['P1W', 7 * D],
    ['P52W', 52 * 7 * D],
    ['P0D', 0],
    ['P1DT1S', D + 1000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseIsoDuration(text)).toEqual({ ok: true, ms });
  });

  it.each([
    '',
    'P',
    'PT',
    'P1DT',
    '25H',
    'pt25h',
    '-PT1H',
    'PT-1H',
    'P1.5D',
    'PT1H1H',
    'PT1S1M',
    'P1W2D',
    'P1234567D',
    'PT1.2345S',
    'P 1D',
    'PT25H ',
    '1 day',
  ])('refuses %j', (text) => {
    expect(parseIsoDuration(text).ok).toBe(false);
  });

  it('says why years and months are refused', () => {
    for (const text of ['P1Y', 'P1M', 'P1Y2M3D', 'P2MT1H']) {
      expect(parseIsoDuration(text)).toEqual({ ok: false, reason: expect.stringMatching(/no fixed length/) });
    }
  });

  it('round-trips any days/hours/minutes/seconds it is given', () => {
    fc.assert(
      fc.property(
        fc.nat(999),
        fc.nat(99),
        fc.nat(99),
        fc.nat(99),
        fc.nat(999),
        (days, hours, minutes, seconds, millis) => {
          const text = `P${days}DT${hours}H${minutes}M${seconds}.${String(millis).padStart(3, '0')}S`;
          expect(parseIsoDuration(text)).toEqual({
            ok: true,
            ms: days * D + hours * H + minutes * 60_000 + seconds * 1000 + millis,
          });
        },
      ),
    );
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const parsed = parseIsoDuration(text);
        if (parsed.ok) expect(Number.isSafeInteger(parsed.ms) && parsed.ms >= 0).toBe(true);
      }),
    );
  });

  it('describes a duration in words', () => {
    expect(describeDuration(25 * H)).toBe('1 d 1 h');
    expect(describeDuration(-(3 * H + 90_000))).toBe('3 h 1 min 30 s');
    expect(describeDuration(0)).toBe('0 s');
  });
});

describe('POST /local/clock body', () => {
  const issuesOf = (body: unknown) => {
    const parsed = clockRequestSchema.safeParse(body);
    return parsed.success ? [] : parsed.error.issues.map((i) => ({ path: i.path, message: i.message }));
  };

  it('takes an advance (as ms) or a set, and runSchedules', () => {
    expect(clockRequestSchema.parse({ advance: 'PT25H' })).toEqual({ advance: 25 * H });
    expect(clockRequestSchema.parse({ set: '2030-01-01T08:00:00Z', runSchedules: false })).toEqual({
      set: '2030-01-01T08:00:00Z',
      runSchedules: false,
    });
    expect(clockRequestSchema.parse({ set: '2030-01-01T08:00:00.250+02:00' }).set).toBe(
      '2030-01-01T08:00:00.250+02:00',
    );
  });

  it('refuses garbage, both or neither, unknown fields, and too long an advance', () => {
    expect(issuesOf({ advance: 'tomorrow' })).toEqual([
      { path: ['advance'], message: expect.stringMatching(/ISO-8601 duration/) },
    ]);
    expect(issuesOf({ advance: 25 })[0]?.path).toEqual(['advance']);
    expect(issuesOf({ set: 'next monday' })[0]?.path).toEqual(['set']);
    expect(issuesOf({ set: '2030-01-01' })[0]?.path).toEqual(['set']);
    expect(issuesOf({})).toEqual([{ path: [], message: expect.stringMatching(/exactly one/) }]);
    expect(issuesOf({ advance: 'PT1H', set: '2030-01-01T08:00:00Z' })).toEqual([
      { path: [], message: expect.stringMatching(/exactly one/) },
    ]);
    expect(issuesOf({ advance: 'PT1H', by: 'me' }).length).toBeGreaterThan(0);
    expect(issuesOf({ advance: 'PT1H', runSchedules: 'yes' })[0]?.path).toEqual(['runSchedules']);
    expect(issuesOf({ advance: `P${MAX_ADVANCE_MS / D + 1}D` })[0]?.path).toEqual(['advance']);
    expect(issuesOf({ advance: `P${MAX_ADVANCE_MS / D}D` })).toEqual([]);
    expect(issuesOf(null).length).toBeGreaterThan(0);
    expect(issuesOf([{ advance: 'PT1H' }]).length).toBeGreaterThan(0);
  });
});

describe('LocalClock', () => {
  it('is the system time plus an offset, so time still flows', () => {
    let system = Date.parse('2026-05-14T08:00:00.000Z');
    const clock = new LocalClock(() => system);
    expect(clock.read()).toEqual({ now: '2026-05-14T08:00:00.000Z', offsetMs: 0 });

    expect(clock.advance(25 * H)).toEqual({
      from: '2026-05-14T08:00:00.000Z',
      to: '2026-05-15T09:00:00.000Z',
      byMs: 25 * H,
    });
    system += 1_000;
    expect(clock.read()).toEqual({ now: '2026-05-15T09:00:01.000Z', offsetMs: 25 * H });

    // Into the past: allowed, the change says by how much.
    expect(clock.set(new Date('2026-05-01T00:00:00Z'))).toEqual({
      from: '2026-05-15T09:00:01.000Z',
      to: '2026-05-01T00:00:00.000Z',
      byMs: Date.parse('2026-05-01T00:00:00Z') - Date.parse('2026-05-15T09:00:01Z'),
    });
    system += 500;
    expect(clock.now().toISOString()).toBe('2026-05-01T00:00:00.500Z');
    expect(clock.offsetMs).toBeLessThan(0);

    clock.reset();
    expect(clock.now().getTime()).toBe(system);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.set(new Date('nope'))).toThrow(RangeError);
  });

  it('stamps the scheduler’s Scheduled Event time', async () => {
    const clock = new LocalClock(() => Date.parse('2026-05-14T08:00:00.000Z'));
    clock.advance(25 * H);
    const times: string[] = [];
    const scheduler = new LocalScheduler(
      [{ name: 'due-work', everyMinutes: 1, target: 'due-work-sweep' }],
      async (_target, event) => {
        times.push(event.time);
      },
      undefined,
      clock,
    );
    await scheduler.run('due-work');
    expect(times).toEqual(['2026-05-15T09:00:00Z']);
  });
});

describe('what POST /local/clock says happened', () => {
  const change = (byMs: number) => ({ from: 'a', to: '2026-05-01T00:00:00.000Z', byMs });

  it('names the schedules that ran, or how to run them', () => {
    expect(
      clockNote(
        change(25 * H),
        [
          { schedule: 'due-work', target: 'due-work-sweep', ok: true, result: { done: 1 } },
          { schedule: 'untreated-sweep', target: 'untreated-sweep', ok: false, error: 'x' },
        ],
        true,
      ),
    ).toBe(
      "The clock moved forward 1 d 1 h. Every schedule ran once as of the new time (due-work, untreated-sweep); failed: untreated-sweep (see the local stack's log).",
    );
    expect(clockNote(change(H), [], false)).toMatch(/No schedule ran .*POST \/local\/schedules/);
    expect(clockNote(change(-3 * H), [], true)).toMatch(
      /^The clock went back 3 h, to 2026-05-01T00:00:00.000Z. Nothing was undone and no schedule ran/,
    );
    expect(clockNote(change(0), [], true)).toBe('The clock did not move; no schedule ran.');
  });
});
