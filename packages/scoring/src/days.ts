/**
 * Calendar days as sales sees them: "three days in a row" means three dates on the wall calendar of the configured
 * time zone, not three 24-hour periods and not three UTC dates (07:00 in Shanghai is still the previous day in UTC).
 * A day is an integer, days since 1970-01-01, so consecutive days differ by exactly one whatever DST does.
 */

const DAY_MS = 86_400_000;

export class TimeZoneError extends Error {
  override readonly name = 'TimeZoneError';
  constructor(readonly timeZone: string) {
    super(`${JSON.stringify(timeZone)} is not an IANA time zone known to this runtime, e.g. Asia/Shanghai or America/New_York`);
  }
}

// Building a DateTimeFormat costs far more than using one, and streak checks call this once per event.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    try {
      // en-US with numeric parts and the Gregorian calendar, whatever the process's locale is.
      formatter = new Intl.DateTimeFormat('en-US', { timeZone, calendar: 'gregory', numberingSystem: 'latn', year: 'numeric', month: 'numeric', day: 'numeric' });
    } catch {
      throw new TimeZoneError(timeZone);
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

// Date.UTC would read years 0–99 as 1900–1999.
function utcDay(year: number, month: number, day: number): number {
  return new Date(0).setUTCFullYear(year, month - 1, day) / DAY_MS;
}

export function isTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Quarter hours whose local date is known, per zone: Intl's formatting is most of a day number's cost. */
const QUARTER_MS = 900_000;
const KNOWN_QUARTERS = 50_000;
const knownQuarters = new Map<string, number>();

/** The day number of t's local calendar date in `timeZone` (days since 1970-01-01). */
export function localDay(t: number, timeZone: string): number {
  const start = Math.floor(t / QUARTER_MS) * QUARTER_MS;
  const key = `${timeZone}\n${start}`;
  const known = knownQuarters.get(key);
  if (known !== undefined) return known;
  const day = formattedDay(t, timeZone);
  // A quarter hour whose first and last moments fall on one local date lies wholly on it (a zone's clock changes at
  // most once in it); one that spans a midnight or a clock change is never remembered.
  if (Number.isFinite(start) && formattedDay(start, timeZone) === day && formattedDay(start + QUARTER_MS - 1, timeZone) === day) {
    if (knownQuarters.size >= KNOWN_QUARTERS) knownQuarters.clear();
    knownQuarters.set(key, day);
  }
  return day;
}

function formattedDay(t: number, timeZone: string): number {
  let year = NaN;
  let month = NaN;
  let day = NaN;
  for (const part of formatterFor(timeZone).formatToParts(t)) {
    if (part.type === 'year') year = Number(part.value);
    else if (part.type === 'month') month = Number(part.value);
    else if (part.type === 'day') day = Number(part.value);
  }
  // Years before 1 come with an era part; nothing in this pipeline is that old, so treat it as a bad input.
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) throw new RangeError(`cannot read a calendar date for ${t} in ${timeZone}`);
  return utcDay(year, month, day);
}

/** `2026-03-08` → its day number; for rules, tests and explanations written in dates. */
export function dayOfDate(isoDate: string): number {
  const found = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!found) throw new RangeError(`${JSON.stringify(isoDate)} is not a date such as 2026-03-08`);
  const day = utcDay(Number(found[1]), Number(found[2]), Number(found[3]));
  // Date arithmetic would quietly turn 2026-02-30 into March 2nd.
  if (dateOfDay(day) !== isoDate) throw new RangeError(`${JSON.stringify(isoDate)} is not a calendar date`);
  return day;
}

/** A day number as `YYYY-MM-DD`. */
export function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}
