import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackoffInputError, backoffDelayMs, DEFAULT_MAX_RETRY_AFTER_MS, parseRetryAfterMs, retryDelayMs, type Jitter } from '../src/backoff.ts';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const jitter = fc.constantFrom<Jitter>('full', 'equal');
// Up to 2000 attempts reaches 2 ** 1999 = Infinity, which the cap must absorb.
const limits = fc.record({ attempt: fc.integer({ min: 1, max: 2000 }), baseMs: fc.integer({ min: 0, max: 60_000 }), maxMs: fc.integer({ min: 0, max: 86_400_000 }) });
const ceilingOf = (attempt: number, baseMs: number, maxMs: number) => (baseMs === 0 ? 0 : Math.min(maxMs, baseMs * 2 ** (attempt - 1)));

describe('backoffDelayMs', () => {
  it('is a whole number of milliseconds, never negative, never above the cap', () => {
    fc.assert(
      fc.property(limits, jitter, unit, ({ attempt, baseMs, maxMs }, j, r) => {
        const d = backoffDelayMs(attempt, { baseMs, maxMs, jitter: j, random: () => r });
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(maxMs);
      }),
    );
  });

  it('stays below the exponential ceiling min(maxMs, baseMs·2^(attempt−1))', () => {
    fc.assert(
      fc.property(limits, jitter, unit, ({ attempt, baseMs, maxMs }, j, r) => {
        const ceiling = ceilingOf(attempt, baseMs, maxMs);
        const d = backoffDelayMs(attempt, { baseMs, maxMs, jitter: j, random: () => r });
        if (ceiling > 0) expect(d).toBeLessThan(ceiling);
        else expect(d).toBe(0);
      }),
    );
  });

  it('keeps full jitter within [0, ceiling) and equal jitter within [ceiling/2, ceiling)', () => {
    fc.assert(
      fc.property(limits, unit, ({ attempt, baseMs, maxMs }, r) => {
        const ceiling = ceilingOf(attempt, baseMs, maxMs);
        expect(backoffDelayMs(attempt, { baseMs, maxMs, random: () => r })).toBe(Math.floor(ceiling * r));
        const equal = backoffDelayMs(attempt, { baseMs, maxMs, jitter: 'equal', random: () => r });
        expect(equal).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        // The ingest worker's formula before this module: half the ceiling plus a random share of the other half.
        expect(Math.abs(equal - (ceiling / 2 + (r * ceiling) / 2))).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('grows with each attempt, doubling until the cap, then stays there', () => {
    fc.assert(
      fc.property(limits, jitter, unit, ({ attempt, baseMs, maxMs }, j, r) => {
        const options = { baseMs, maxMs, jitter: j, random: () => r };
        const now = backoffDelayMs(attempt, options);
        const next = backoffDelayMs(attempt + 1, options);
        expect(next).toBeGreaterThanOrEqual(now);
        if (ceilingOf(attempt + 1, baseMs, maxMs) < maxMs) expect(next).toBeGreaterThanOrEqual(2 * now);
        if (ceilingOf(attempt, baseMs, maxMs) === maxMs) expect(next).toBe(now);
      }),
    );
  });

  it('scales the whole ceiling by the random draw under full jitter (the default)', () => {
    expect(backoffDelayMs(3, { baseMs: 1000, maxMs: 60_000, random: () => 0 })).toBe(0);
    expect(backoffDelayMs(3, { baseMs: 1000, maxMs: 60_000, random: () => 0.5 })).toBe(2000);
    expect(backoffDelayMs(3, { baseMs: 1000, maxMs: 60_000, random: () => 0.999_999 })).toBe(3999);
  });

  it('waits at least half the ceiling under equal jitter', () => {
    expect(backoffDelayMs(3, { baseMs: 1000, maxMs: 60_000, jitter: 'equal', random: () => 0 })).toBe(2000);
    expect(backoffDelayMs(3, { baseMs: 1000, maxMs: 60_000, jitter: 'equal', random: () => 0.5 })).toBe(3000);
    expect(backoffDelayMs(3, { baseMs: 1000, maxMs: 60_000, jitter: 'equal', random: () => 0.999_999 })).toBe(3999);
  });

  it('never exceeds maxMs however many attempts were made', () => {
    expect(backoffDelayMs(10_000, { baseMs: 1000, maxMs: 300_000, random: () => 0.999_999 })).toBe(299_999);
  });

  it('stays 0 with a zero base, even once 2^(attempt−1) is Infinity', () => {
    for (const jitter of ['full', 'equal'] as const) expect(backoffDelayMs(1100, { baseMs: 0, maxMs: 60_000, jitter, random: () => 0.5 })).toBe(0);
  });

  it('stays below the ceiling for the largest draws below 1', () => {
    for (const r of [0.9999999999999999, 0.9999999999999998]) {
      for (const ceiling of [1, 3, 5, 1000, 30_000]) {
        expect(backoffDelayMs(1, { baseMs: ceiling, maxMs: ceiling, random: () => r })).toBe(ceiling - 1);
        expect(backoffDelayMs(1, { baseMs: ceiling, maxMs: ceiling, jitter: 'equal', random: () => r })).toBe(ceiling - 1);
      }
    }
  });

  it('treats a random draw outside [0, 1) as 0 rather than leave the bounds', () => {
    for (const r of [1, 2, -0.5, Number.NaN]) {
      expect(backoffDelayMs(3, { baseMs: 1000, maxMs: 60_000, random: () => r })).toBe(0);
      expect(backoffDelayMs(3, { baseMs: 1000, maxMs: 60_000, jitter: 'equal', random: () => r })).toBe(2000);
    }
  });

  it('refuses an attempt number below 1 or not whole', () => {
    expect(() => backoffDelayMs(0, { baseMs: 1000, maxMs: 60_000 })).toThrow(BackoffInputError);
    expect(() => backoffDelayMs(1.5, { baseMs: 1000, maxMs: 60_000 })).toThrow(BackoffInputError);
  });

  it('refuses a negative or non-finite base or cap', () => {
    expect(() => backoffDelayMs(1, { baseMs: -1, maxMs: 60_000 })).toThrow(BackoffInputError);
    expect(() => backoffDelayMs(1, { baseMs: 1000, maxMs: Number.POSITIVE_INFINITY })).toThrow(BackoffInputError);
    expect(() => backoffDelayMs(1, { baseMs: Number.NaN, maxMs: 60_000 })).toThrow(BackoffInputError);
  });
});

describe('retryDelayMs', () => {
  it('is the backoff when there is no Retry-After', () => {
    fc.assert(
      fc.property(limits, jitter, unit, ({ attempt, baseMs, maxMs }, j, r) => {
        const options = { baseMs, maxMs, jitter: j, random: () => r };
        expect(retryDelayMs(attempt, options)).toBe(backoffDelayMs(attempt, options));
      }),
    );
  });

  it('is never below a valid Retry-After, up to its cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 7200 }),
        fc.boolean(),
        unit,
        (attempt, seconds, asDate, r) => {
          const retryAfter = asDate ? new Date(NOW + seconds * 1000).toUTCString() : String(seconds);
          const d = retryDelayMs(attempt, { baseMs: 500, maxMs: 60_000, retryAfter, now: NOW, random: () => r });
          const floor = Math.min(seconds * 1000, DEFAULT_MAX_RETRY_AFTER_MS);
          expect(d).toBeGreaterThanOrEqual(asDate && seconds === 0 ? 0 : floor);
          expect(d).toBeLessThanOrEqual(Math.max(60_000, floor));
        },
      ),
    );
  });

  it('obeys a Retry-After longer than maxMs', () => {
    expect(retryDelayMs(1, { baseMs: 1000, maxMs: 60_000, retryAfter: '120', random: () => 0 })).toBe(120_000);
  });

  it('caps a Retry-After beyond maxRetryAfterMs', () => {
    const days = String(3 * 86_400);
    expect(retryDelayMs(1, { baseMs: 1000, maxMs: 60_000, retryAfter: days, random: () => 0 })).toBe(3_600_000);
    expect(
      retryDelayMs(1, { baseMs: 1000, maxMs: 60_000, retryAfter: days, maxRetryAfterMs: 600_000, random: () => 0 }),
    ).toBe(600_000);
  });

  it('keeps the jittered delay when it is longer than Retry-After', () => {
    expect(retryDelayMs(5, { baseMs: 1000, maxMs: 60_000, retryAfter: '1', random: () => 0.5 })).toBe(8000);
  });

  it('ignores a malformed or past Retry-After', () => {
    const past = new Date(NOW - 60_000).toUTCString();
    for (const retryAfter of ['soon', '-5', '1.5', '', past]) {
      expect(retryDelayMs(2, { baseMs: 1000, maxMs: 60_000, retryAfter, now: NOW, random: () => 0.5 })).toBe(1000);
    }
  });

  it('refuses what backoffDelayMs refuses, and a negative Retry-After cap', () => {
    expect(() => retryDelayMs(0, { baseMs: 1000, maxMs: 60_000 })).toThrow(BackoffInputError);
    expect(() => retryDelayMs(1, { baseMs: -1, maxMs: 60_000 })).toThrow(BackoffInputError);
    expect(() => retryDelayMs(1, { baseMs: 1000, maxMs: 60_000, maxRetryAfterMs: -1 })).toThrow(BackoffInputError);
  });
});

describe('parseRetryAfterMs', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfterMs('120', NOW)).toBe(120_000);
    expect(parseRetryAfterMs(' 5 ', NOW)).toBe(5000);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfterMs('Thu, 15 Jan 2026 12:00:30 GMT', NOW)).toBe(30_000);
  });

  it('is undefined for anything else, or a date already past', () => {
    for (const v of ['soon', '', '-5', '1.5', 'Thu, 15 Jan 2026 11:59:00 GMT']) expect(parseRetryAfterMs(v, NOW)).toBeUndefined();
  });
});
