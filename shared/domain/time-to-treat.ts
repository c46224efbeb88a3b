/**
 * Time-to-treat statistics (SPEC 11.5, docs/adr/0017-realtime-and-stats.md), pure rules.
 *
 * A request is a patient message that reached the inbox (MessageReceived); it is treated by the first
 * treat of its thread at or after it (ThreadTreated), and its time to treat is the difference. A thread's
 * statistics are a function of the SET of its events — the messages received and the treat times — so
 * a replayed event (already in the set) changes nothing and the order of arrival does not matter: each
 * event recomputes the thread's contribution to the per-day aggregates and only the difference is added.
 *
 * Percentiles come from exact per-day histograms of whole hours to treat (bucket h = [h, h+1) hours, the
 * last one every 7 days or more): merging days is adding buckets, so a range of any length is exact to
 * the hour, unlike a sketch whose error would have to be explained to a practitioner.
 */

/** Buckets 0…167: that many whole hours; 168: a week or more. */
export const OPEN_ENDED_BUCKET = 168;
const HOUR_MS = 3_600_000;
const WITHIN_MS = 48 * HOUR_MS;

export const bucketOf = (ms: number): number => Math.min(OPEN_ENDED_BUCKET, Math.floor(ms / HOUR_MS));

/** What the statistics know of one thread: its received patient messages (id → time) and its treat times. */
export interface ThreadHistory {
  received: Readonly<Record<string, string>>;
  /** Sorted, without duplicates (ISO times of one format sort as times). */
  treats: readonly string[];
}

export const EMPTY_HISTORY: ThreadHistory = { received: {}, treats: [] };

/** One day's aggregates (the practitioner's calendar day). */
export interface DayAggregate {
  /** Requests received that day. */
  received: number;
  /** Requests treated that day, and how many of them within 48 hours. */
  treated: number;
  within48h: number;
  /** Requests received that day and not treated yet. */
  open: number;
  /** Treated that day, by whole hours to treat (OPEN_ENDED_BUCKET: a week or more). */
  buckets: Readonly<Record<number, number>>;
}

export const withMessage = (history: ThreadHistory, messageId: string, receivedAt: string): ThreadHistory =>
  history.received[messageId] !== undefined
    ? history
    : { ...history, received: { ...history.received, [messageId]: receivedAt } };

export const withTreat = (history: ThreadHistory, treatedAt: string): ThreadHistory =>
  history.treats.includes(treatedAt)
    ? history
    : { ...history, treats: [...history.treats, treatedAt].sort() };

type MutableDay = {
  received: number;
  treated: number;
  within48h: number;
  open: number;
  buckets: Record<number, number>;
};
const emptyDay = (): MutableDay => ({ received: 0, treated: 0, within48h: 0, open: 0, buckets: {} });

/** A thread's contribution to each day, `dayOf` mapping a time to the practitioner's calendar day. */
export const contributions = (
  history: ThreadHistory,
  dayOf: (iso: string) => string,
): Map<string, MutableDay> => {
  const days = new Map<string, MutableDay>();
  const day = (key: string) => {
    const found = days.get(key) ?? emptyDay();
    days.set(key, found);
    return found;
  };
  for (const receivedAt of Object.values(history.received)) {
    const received = day(dayOf(receivedAt));
    received.received += 1;
    const treatedAt = history.treats.find((t) => Date.parse(t) >= Date.parse(receivedAt));
    if (treatedAt === undefined) {
      received.open += 1;
      continue;
    }
    const treated = day(dayOf(treatedAt));
    const ms = Date.parse(treatedAt) - Date.parse(receivedAt);
    treated.treated += 1;
    if (ms <= WITHIN_MS) treated.within48h += 1;
    const bucket = bucketOf(ms);
    treated.buckets[bucket] = (treated.buckets[bucket] ?? 0) + 1;
  }
  return days;
};

/** after − before, day by day, without the days nothing changed on. */
export const difference = (
  before: Map<string, MutableDay>,
  after: Map<string, MutableDay>,
): Map<string, DayAggregate> => {
  const result = new Map<string, DayAggregate>();
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const a = after.get(key) ?? emptyDay();
    const b = before.get(key) ?? emptyDay();
    const buckets: Record<number, number> = {};
    for (const bucket of new Set([...Object.keys(a.buckets), ...Object.keys(b.buckets)].map(Number))) {
      const change = (a.buckets[bucket] ?? 0) - (b.buckets[bucket] ?? 0);
      if (change !== 0) buckets[bucket] = change;
    }
    const delta = {
      received: a.received - b.received,
      treated: a.treated - b.treated,
      within48h: a.within48h - b.within48h,
      open: a.open - b.open,
      buckets,
    };
    if (delta.received || delta.treated || delta.within48h || delta.open || Object.keys(buckets).length > 0) {
      result.set(key, delta);
    }
  }
  return result;
};

export interface PeriodStats {
  requestsReceived: number;
  requestsTreated: number;
  /** Whole hours (the bucket's upper bound: "treated within n hours"); null when nothing was treated. */
  medianHoursToTreat: number | null;
  p90HoursToTreat: number | null;
  /** Share of the treated requests treated within 48 hours (0–1); null when nothing was treated. */
  treatedWithin48hShare: number | null;
  /** Requests received in the period and still untreated, and the day the oldest of them came in. */
  openBacklog: number;
  oldestOpenDay: string | null;
}

/** Nearest-rank percentile over merged buckets, as the bucket's upper bound in hours (168 = a week or more). */
const percentileHours = (buckets: Record<number, number>, total: number, p: number): number | null => {
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const bucket of Object.keys(buckets)
    .map(Number)
    .sort((x, y) => x - y)) {
    seen += buckets[bucket] ?? 0;
    if (seen >= rank) return Math.min(OPEN_ENDED_BUCKET, bucket + 1);
  }
  return OPEN_ENDED_BUCKET;
};

/** The figures of a period from its days' aggregates (days as `YYYY-MM-DD`). */
export const summarize = (days: ReadonlyArray<readonly [string, DayAggregate]>): PeriodStats => {
  const buckets: Record<number, number> = {};
  let received = 0;
  let treated = 0;
  let within = 0;
  let open = 0;
  let oldestOpenDay: string | null = null;
  for (const [day, aggregate] of [...days].sort(([a], [b]) => a.localeCompare(b))) {
    received += aggregate.received;
    treated += aggregate.treated;
    within += aggregate.within48h;
    open += aggregate.open;
    if (aggregate.open > 0 && oldestOpenDay === null) oldestOpenDay = day;
    for (const [bucket, count] of Object.entries(aggregate.buckets)) {
      buckets[Number(bucket)] = (buckets[Number(bucket)] ?? 0) + count;
    }
  }
  return {
    requestsReceived: received,
    requestsTreated: treated,
    medianHoursToTreat: percentileHours(buckets, treated, 0.5),
    p90HoursToTreat: percentileHours(buckets, treated, 0.9),
    treatedWithin48hShare: treated === 0 ? null : within / treated,
    openBacklog: open,
    oldestOpenDay,
  };
};

/**
 * The calendar day of a time in a time zone, `YYYY-MM-DD`. The formatter is built on the first call:
 * building one loads the zone's ICU data (~15 ms), which a module-level `calendarDay(zone)` would
 * otherwise add to the cold start of every function that bundles the module.
 */
export const calendarDay = (timeZone: string) => {
  let format: Intl.DateTimeFormat | undefined;
  return (iso: string): string => {
    format ??= new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    return format.format(new Date(iso));
  };
};
