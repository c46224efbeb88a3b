/**
 * The local stack's clock (SPEC 11.1, GET/POST /local/clock): the system clock
 * plus an offset, so time keeps flowing after an advance or a set. The stack
 * hands it to the handlers through shared/runtime/local-emulation.ts, and the
 * scheduler, the event bus and the API's request context stamp their times with
 * it: weekly caps, cooldowns, deferred sending and reopening can be shown
 * without waiting.
 *
 * Moving it never runs anything by itself; POST /local/clock (local-routes.ts)
 * decides what runs after a move.
 */
import { z } from 'zod';
import type { Clock } from '../shared/runtime/clock.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** The longest single advance: about ten years (a larger jump is a `set`). */
export const MAX_ADVANCE_MS = 3660 * DAY;

export type DurationParse = { ok: true; ms: number } | { ok: false; reason: string };

// PnW, or P[nD][T[nH][nM][n[.f]S]]; at most 6 digits per number, seconds to the millisecond.
const WEEKS = /^P(\d{1,6})W$/;
const DAY_TIME = /^P(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})(?:[.,](\d{1,3}))?S)?)?$/;

/**
 * An ISO-8601 duration of fixed length, in milliseconds: `PnW` or
 * `PnDTnHnMnS` (any part may be left out, seconds may have up to 3 decimals).
 * Years and months (`P1Y`, `P1M`) have no fixed length and are refused, as are
 * signs, lower case and empty durations (`P`, `PT`).
 */
export const parseIsoDuration = (text: string): DurationParse => {
  const weeks = WEEKS.exec(text);
  if (weeks) return { ok: true, ms: Number(weeks[1]) * WEEK };
  const match = DAY_TIME.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) {
    return /^P(?:\d+Y)|^P[^T]*\d+M/.test(text)
      ? { ok: false, reason: 'years and months have no fixed length: use days (P30D) or weeks (P4W)' }
      : { ok: false, reason: 'not an ISO-8601 duration such as PT25H, P2DT3H30M, PT90S or P1W' };
  }
  const [, days, hours, minutes, seconds, fraction] = match;
  const ms =
    Number(days ?? 0) * DAY +
    Number(hours ?? 0) * HOUR +
    Number(minutes ?? 0) * MINUTE +
    Number(seconds ?? 0) * SECOND +
    Number((fraction ?? '').padEnd(3, '0'));
  return { ok: true, ms };
};

/** POST /local/clock: exactly one of `advance` and `set`; `runSchedules` (default true) after a move forward. */
export const clockRequestSchema = z
  .strictObject({
    advance: z
      .string()
      .max(64)
      .transform((text, ctx) => {
        const parsed = parseIsoDuration(text);
        if (!parsed.ok) {
          ctx.addIssue({ code: 'custom', message: parsed.reason });
          return z.NEVER;
        }
        if (parsed.ms > MAX_ADVANCE_MS) {
          ctx.addIssue({ code: 'custom', message: 'at most P3660D in one advance; use "set" beyond' });
          return z.NEVER;
        }
        return parsed.ms;
      })
      .optional(),
    set: z.iso
      .datetime({ offset: true })
      .refine((text) => {
        const year = new Date(text).getUTCFullYear();
        return year >= 1970 && year <= 9999;
      }, 'a date between 1970 and 9999')
      .optional(),
    runSchedules: z.boolean().optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.advance === undefined) === (body.set === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'give exactly one of "advance" (an ISO-8601 duration) and "set" (an ISO-8601 date-time)',
      });
    }
  });

export type ClockRequest = z.output<typeof clockRequestSchema>;

export interface ClockReading {
  now: string;
  offsetMs: number;
}

export interface ClockChange {
  from: string;
  to: string;
  /** Negative when the clock went back. */
  byMs: number;
}

export class LocalClock implements Clock {
  private offset = 0;

  constructor(private readonly systemNow: () => number = Date.now) {}

  now(): Date {
    return new Date(this.systemNow() + this.offset);
  }

  /** How far the local time is ahead of the system clock (negative: behind). */
  get offsetMs(): number {
    return this.offset;
  }

  read(): ClockReading {
    return { now: this.now().toISOString(), offsetMs: this.offset };
  }

  advance(ms: number): ClockChange {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot advance by ${ms} ms`);
    const from = this.now();
    this.offset += ms;
    return { from: from.toISOString(), to: new Date(from.getTime() + ms).toISOString(), byMs: ms };
  }

  /** Jumps to `to` (the past included); time flows on from there. */
  set(to: Date): ClockChange {
    if (Number.isNaN(to.getTime())) throw new RangeError('cannot set the clock to an invalid date');
    const system = this.systemNow();
    const from = new Date(system + this.offset);
    this.offset = to.getTime() - system;
    return { from: from.toISOString(), to: to.toISOString(), byMs: to.getTime() - from.getTime() };
  }

  /** Back to the system time. */
  reset(): void {
    this.offset = 0;
  }
}

/** "1 d 2 h 3 min 4 s" for the answers' notes. */
export const describeDuration = (ms: number): string => {
  const abs = Math.abs(ms);
  const parts: string[] = [];
  const days = Math.floor(abs / DAY);
  const hours = Math.floor((abs % DAY) / HOUR);
  const minutes = Math.floor((abs % HOUR) / MINUTE);
  const seconds = Math.round((abs % MINUTE) / SECOND);
  if (days) parts.push(`${days} d`);
  if (hours) parts.push(`${hours} h`);
  if (minutes) parts.push(`${minutes} min`);
  if (seconds || parts.length === 0) parts.push(`${seconds} s`);
  return parts.join(' ');
};
