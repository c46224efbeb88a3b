import type { ScheduledEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalScheduler, scheduledEvent } from '../../local/scheduler.ts';

const sweep = { name: 'untreated-sweep', everyMinutes: 15, target: 'untreated-sweep-fn' };

describe('local scheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('builds the scheduled-event envelope EventBridge sends', () => {
    expect(scheduledEvent(sweep, new Date('2026-05-14T08:00:00.456Z'))).toEqual({
      version: '0',
      id: expect.any(String),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: '2026-05-14T08:00:00Z',
      region: 'eu-west-3',
      resources: ['arn:aws:events:eu-west-3:000000000000:rule/untreated-sweep'],
      detail: {},
    });
  });

  it('runs a schedule on demand and answers what its target returned', async () => {
    const invoked: Array<[string, ScheduledEvent]> = [];
    const scheduler = new LocalScheduler([sweep], async (target, event) => {
      invoked.push([target, event]);
      return { swept: 2 };
    });
    await expect(scheduler.run('untreated-sweep')).resolves.toEqual({
      found: true,
      schedule: sweep,
      result: { swept: 2 },
    });
    await expect(scheduler.run('nope')).resolves.toEqual({ found: false });
    expect(invoked.map(([target]) => target)).toEqual(['untreated-sweep-fn']);
  });

  it('runs every schedule on its local interval, never overlapping a slow run, and stops', async () => {
    vi.useFakeTimers();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const scheduler = new LocalScheduler([sweep], async () => {
      running++;
      runs++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 2500));
      running--;
    });
    scheduler.start(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
    scheduler.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toBe(2);
  });

  it('does not start timers with an interval of 0', async () => {
    vi.useFakeTimers();
    const invoke = vi.fn(async () => {});
    const scheduler = new LocalScheduler([sweep], invoke);
    scheduler.start(0);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(invoke).not.toHaveBeenCalled();
  });
});
