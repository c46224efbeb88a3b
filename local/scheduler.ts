/**
 * Local stand-in for the scheduled EventBridge rules (the schedules of the function declarations):
 * one timer per schedule, every `intervalSeconds` (LOCAL_SCHEDULE_SECONDS) rather
 * than the production minutes, each invoking the target with a "Scheduled Event"
 * envelope. `run(name)` triggers one now (POST /local/sweep, /local/schedules/{name}).
 * A run never overlaps the previous one of the same schedule. The envelope's
 * `time` is read from the stack's clock (the local clock, SPEC 11.1), so a target
 * that looks at it sees the same "now" as the handlers.
 */
import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import type { ScheduleDefinition } from '../shared/function-model/triggers.ts';
import { type Clock, systemClock } from '../shared/runtime/clock.ts';
import { eventTime, LOCAL_ACCOUNT_ID, LOCAL_REGION } from './constants.ts';
import { describeError, type Logger } from './logger.ts';

export type InvokeScheduleTarget = (target: string, event: ScheduledEvent) => Promise<unknown>;

export const scheduledEvent = (schedule: ScheduleDefinition, now: Date): ScheduledEvent => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: LOCAL_ACCOUNT_ID,
  time: eventTime(now),
  region: LOCAL_REGION,
  resources: [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:rule/${schedule.name}`],
  detail: {},
});

export type ScheduleRun = { found: false } | { found: true; schedule: ScheduleDefinition; result: unknown };

export class LocalScheduler {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(
    private readonly schedules: readonly ScheduleDefinition[],
    private readonly invoke: InvokeScheduleTarget,
    private readonly logger?: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  get names(): string[] {
    return this.schedules.map((s) => s.name);
  }

  get definitions(): readonly ScheduleDefinition[] {
    return this.schedules;
  }

  /** Starts the timers; 0 or less disables them (tests trigger runs explicitly). */
  start(intervalSeconds: number): void {
    if (intervalSeconds <= 0) return;
    for (const schedule of this.schedules) {
      const timer = setInterval(() => {
        if (this.running.has(schedule.name)) return;
        this.run(schedule.name).catch((error) => {
          this.logger?.error(`${schedule.name} → ${schedule.target} failed: ${describeError(error)}`);
        });
      }, intervalSeconds * 1000);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** Runs one schedule now and answers what its target returned; a throw propagates. */
  async run(name: string): Promise<ScheduleRun> {
    const schedule = this.schedules.find((s) => s.name === name);
    if (!schedule) return { found: false };
    const previous = this.running.get(name);
    if (previous) await previous.catch(() => {});
    const run = this.invoke(schedule.target, scheduledEvent(schedule, this.clock.now()));
    this.running.set(name, run);
    try {
      const result = await run;
      this.logger?.info(`${schedule.name} → ${schedule.target} done`);
      return { found: true, schedule, result };
    } finally {
      if (this.running.get(name) === run) this.running.delete(name);
    }
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
  }
}
