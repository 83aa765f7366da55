import { z } from 'zod';
import { ISO_DATE_TIME_MESSAGE, parseIsoDateTime } from './message.ts';

/**
 * The event times every store can hold, in epoch milliseconds, both ends included: from 1970-01-01T00:00:00.000Z
 * (ClickHouse DateTime is unsigned seconds, and the Lua scripts take times as non-negative milliseconds) to
 * 2105-12-31T23:59:59.999Z (ClickHouse 18.16's date tables end with 2105: it reads '2106-01-01 00:00:00' as zero,
 * although DateTime itself would reach 2106-02-07T06:28:15Z). An event's `timestamp` and `receivedAt` must lie in it;
 * the collector refuses anything else, and the ingest workers dead-letter it.
 */
export const STORABLE_TIME = {
  min: Date.UTC(1970, 0, 1),
  max: Date.UTC(2106, 0, 1) - 1,
} as const;

export const isStorableTime = (ms: number): boolean => ms >= STORABLE_TIME.min && ms <= STORABLE_TIME.max;

/** Marks the schema issue of a time outside STORABLE_TIME, so a reader can tell it from a malformed one. */
export const OUT_OF_RANGE = { reason: 'timestamp_out_of_range' } as const;

export const storableRangeText = `${new Date(STORABLE_TIME.min).toISOString()} … ${new Date(STORABLE_TIME.max).toISOString()}`;

/** An ISO-8601 date-time inside STORABLE_TIME; parsed once, as it is read for every record on the ingest hot path. */
export const storableDateTime = z
  .string()
  .max(64)
  .superRefine((s, ctx) => {
    const ms = parseIsoDateTime(s);
    if (Number.isNaN(ms)) ctx.addIssue({ code: 'custom', message: ISO_DATE_TIME_MESSAGE, input: s });
    else if (!isStorableTime(ms)) ctx.addIssue({ code: 'custom', message: `lies outside the times the stores hold (${storableRangeText})`, params: OUT_OF_RANGE, input: s });
  });
