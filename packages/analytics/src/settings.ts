import { z } from 'zod';
import { DEFAULT_SEGMENT_MAP, segmentMapSchema } from './segments.ts';

const currencyCode = z.string().regex(/^[A-Z]{3}$/, 'expected a three-letter currency code such as USD');
const days = z.number().int().min(1).max(36_500);

/**
 * What a rollup is computed with. Each value is recorded with its snapshot (rollup_runs.settings), so a snapshot can
 * be explained, and recomputed with the same settings, later.
 */
export const rollupSettingsSchema = z
  .object({
    /** Days are calendar days in this IANA zone. */
    timeZone: z.string().min(1),
    /** All money is reported in this currency. */
    reportingCurrency: currencyCode,
    /** Units of the reporting currency per unit of each other currency. A currency not listed has no rate. */
    rates: z.record(currencyCode, z.number().positive().finite()),
    /** Frequency and monetary count the orders of this many days up to the reference day. */
    windowDays: days,
    /** Lifecycle thresholds, each "within N days" meaning fewer than N calendar days before the reference day. */
    newDays: days,
    activeDays: days,
    dormantDays: days,
    activityDays: days,
    /** ABC: A are the buyers making the first `a` of the window's net revenue, B the next ones up to `b`, C the rest. */
    abc: z.object({ a: z.number().gt(0).lt(1), b: z.number().gt(0).max(1) }).refine((s) => s.a < s.b, 'the A share must be below the A+B share'),
    segments: segmentMapSchema,
    /** A lead's company falls back to its email's domain unless the domain is one of these (as the portrait does). */
    freeMailDomains: z.array(z.string()),
  })
  .refine((s) => s.activeDays <= s.dormantDays, { message: 'activeDays must not exceed dormantDays', path: ['activeDays'] });

export type RollupSettings = z.infer<typeof rollupSettingsSchema>;

/** The documented defaults (docs/analysts.md), in UTC and USD without rates. */
export const DEFAULT_ROLLUP_SETTINGS: RollupSettings = {
  timeZone: 'UTC',
  reportingCurrency: 'USD',
  rates: {},
  windowDays: 365,
  newDays: 90,
  activeDays: 180,
  dormantDays: 365,
  activityDays: 90,
  abc: { a: 0.8, b: 0.95 },
  segments: DEFAULT_SEGMENT_MAP,
  freeMailDomains: [],
};

/** Settings from defaults and overrides, validated. */
export function rollupSettings(overrides: Partial<RollupSettings> = {}): RollupSettings {
  return rollupSettingsSchema.parse({ ...DEFAULT_ROLLUP_SETTINGS, ...overrides });
}
