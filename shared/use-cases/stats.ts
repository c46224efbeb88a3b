/**
 * Time-to-treat statistics (SPEC 11.5): kept from the events, idempotently (shared/domain/time-to-treat.ts),
 * read per day with one Query and summed per week and in total.
 */
import {
  calendarDay,
  type DayAggregate,
  type PeriodStats,
  summarize,
  withMessage,
  withTreat,
} from '../domain/time-to-treat.ts';
import type { StatsRepository } from '../repositories/stats-repository.ts';

/** The practice's calendar (SPEC 11.5: the practitioner's time zone; the service's one for now, ADR 0017). */
export const STATS_TIME_ZONE = 'Europe/Paris';
const dayOf = calendarDay(STATS_TIME_ZONE);

export const recordMessageReceived = (
  stats: StatsRepository,
  event: { practitionerId: string; threadId: string; messageId: string; receivedAt: string },
) =>
  stats.record(
    event.practitionerId,
    event.threadId,
    (h) => withMessage(h, event.messageId, event.receivedAt),
    dayOf,
  );

export const recordThreadTreated = (
  stats: StatsRepository,
  event: { practitionerId: string; threadId: string; treatedAt: string },
) => stats.record(event.practitionerId, event.threadId, (h) => withTreat(h, event.treatedAt), dayOf);

/** The Monday of a `YYYY-MM-DD` day's week. */
export const weekOf = (day: string): string => {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - ((date.getUTCDay() + 6) % 7));
  return date.toISOString().slice(0, 10);
};

export interface StatsAnswer {
  from: string;
  to: string;
  timeZone: string;
  total: PeriodStats;
  weeks: Array<{ weekStart: string } & PeriodStats>;
}

export const practitionerStats = async (
  stats: StatsRepository,
  practitionerId: string,
  range: { from: string; to: string },
): Promise<StatsAnswer> => {
  const days = await stats.days(practitionerId, range.from, range.to);
  const byWeek = new Map<string, Array<[string, DayAggregate]>>();
  for (const day of days) {
    const week = weekOf(day[0]);
    byWeek.set(week, [...(byWeek.get(week) ?? []), day]);
  }
  return {
    from: range.from,
    to: range.to,
    timeZone: STATS_TIME_ZONE,
    total: summarize(days),
    weeks: [...byWeek]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([weekStart, weekDays]) => ({ weekStart, ...summarize(weekDays) })),
  };
};
