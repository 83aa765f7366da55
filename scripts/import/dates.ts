import { fail, ok, type Parsed } from './problems.ts';

/**
 * Dates as exports write them — ISO-8601, `2025-03-01`, `2025/03/01 14:05`, `03/01/2025 2:05 PM` — read as UTC
 * unless they carry a zone (`Z`, `UTC`, `+08:00`, `-0500`). Day and month in `03/01/2025` can only be told apart
 * by the file's convention, so those need `dateOrder: mdy` or `dmy` in the mapping file.
 */

export const DATE_ORDERS = ['ymd', 'mdy', 'dmy'] as const;
export type DateOrder = (typeof DATE_ORDERS)[number];

export interface DateOptions {
  readonly order: DateOrder;
  /** Dates later than this are refused: history does not lie in the future, and the collector would refuse it too. */
  readonly latest: Date;
  /** The column, for messages. */
  readonly label?: string;
}

const TIME = String.raw`(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*([AaPp][Mm])?)?`;
const ZONE = String.raw`\s*(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?`;
const YEAR_FIRST = new RegExp(String.raw`^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})${TIME}${ZONE}$`);
const YEAR_LAST = new RegExp(String.raw`^(\d{1,2})([-/.])(\d{1,2})\2(\d{4})${TIME}${ZONE}$`);

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** Minutes east of UTC, or undefined when the zone does not exist (`+25:00`). */
function zoneOffset(zone: string | undefined): number | undefined {
  if (zone === undefined || /^(z|utc|gmt)$/i.test(zone)) return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (!m) return undefined;
  const hours = Number(m[2]);
  const minutes = Number(m[3] ?? '0');
  if (hours > 14 || minutes > 59) return undefined;
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** A date cell as an ISO-8601 UTC timestamp (`2025-03-01T14:05:00.000Z`), the form events carry. */
export function parseDate(raw: string, options: DateOptions): Parsed<string> {
  const label = options.label ?? 'date';
  const text = raw.trim();
  const bad = (why: string) => fail('invalid_date', `${label} ${JSON.stringify(raw)} ${why}`);

  let year: number;
  let month: number;
  let day: number;
  let rest: (string | undefined)[];
  const yearFirst = YEAR_FIRST.exec(text);
  const yearLast = yearFirst ? null : YEAR_LAST.exec(text);
  if (yearFirst) {
    [year, month, day] = [Number(yearFirst[1]), Number(yearFirst[3]), Number(yearFirst[4])];
    rest = yearFirst.slice(5);
  } else if (yearLast) {
    if (options.order === 'ymd') return bad('puts the year last, so day and month are ambiguous; set dateOrder: mdy or dmy in the mapping file');
    const [a, b] = [Number(yearLast[1]), Number(yearLast[3])];
    [month, day] = options.order === 'mdy' ? [a, b] : [b, a];
    year = Number(yearLast[4]);
    rest = yearLast.slice(5);
  } else {
    return bad('is not a date (expected e.g. 2025-03-01, 2025/03/01 14:05 or 2025-03-01T14:05:00Z)');
  }
  const [hh, mi, ss, fraction, meridiem, zone] = rest;

  if (year < 1900) return bad('is before 1900');
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return bad(`is not a day of the calendar (month ${month}, day ${day})`);
  let hour = Number(hh ?? '0');
  const minute = Number(mi ?? '0');
  const second = Number(ss ?? '0');
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return bad('has an hour outside 1–12 before AM/PM');
    hour = (hour % 12) + (/^p/i.test(meridiem) ? 12 : 0);
  }
  if (hour > 23 || minute > 59 || second > 59) return bad('is not a time of day');
  const offset = zoneOffset(zone);
  if (offset === undefined) return bad(`has an impossible time zone offset ${JSON.stringify(zone)}`);
  const millis = Math.floor(Number(`0.${fraction ?? '0'}`) * 1000);

  const at = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offset * 60_000;
  if (at > options.latest.getTime()) return bad(`lies in the future (after ${options.latest.toISOString()})`);
  return ok(new Date(at).toISOString());
}
