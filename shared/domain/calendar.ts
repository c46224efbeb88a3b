/**
 * Calendar days in a practitioner's IANA time zone, with Intl only (no date
 * library): a day is not always 24 hours (daylight-saving changes make 23- and
 * 25-hour days) and in some zones midnight itself does not exist on the day of
 * the change, so "the next day" is found on the local calendar, not by adding hours.
 */
const dateFormatters = new Map<string, Intl.DateTimeFormat>();

const dateFormatter = (timeZone: string): Intl.DateTimeFormat => {
  let formatter = dateFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    dateFormatters.set(timeZone, formatter);
  }
  return formatter;
};

/** The local calendar date of an instant, as `YYYY-MM-DD` (sortable). */
export const localDate = (instant: Date, timeZone: string): string => {
  const parts = Object.fromEntries(
    dateFormatter(timeZone)
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}`;
};

const MINUTE = 60_000;
/** No day is longer than 26 hours, so the next day always starts within this window. */
const SEARCH_WINDOW_MINUTES = 48 * 60;

/**
 * The first instant of the calendar day after the one `instant` falls on, in
 * `timeZone`: usually local midnight, or the first minute that exists when the
 * clocks skip midnight. Found by bisection over minutes (UTC offsets are whole
 * minutes), since "local date ≥ next day" is monotonic in time.
 */
export const startOfNextLocalDay = (instant: Date, timeZone: string): Date => {
  const today = localDate(instant, timeZone);
  const from = Math.floor(instant.getTime() / MINUTE);
  let low = from; // still today
  let high = from + SEARCH_WINDOW_MINUTES; // certainly a later day
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (localDate(new Date(middle * MINUTE), timeZone) > today) high = middle;
    else low = middle;
  }
  return new Date(high * MINUTE);
};
