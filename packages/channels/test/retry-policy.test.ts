import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyOutcome,
  DEFAULT_MAX_RETRY_AFTER_MS,
  parseRetryAfterMs,
  retryDelayMs,
  RetryPolicyInputError,
} from '../src/retry-policy.ts';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('classifyOutcome', () => {
  it('counts every 2xx as delivered', () => {
    for (const status of [200, 201, 202, 204, 299]) expect(classifyOutcome({ status })).toBe('delivered');
  });

  it('retries server errors', () => {
    for (const status of [500, 502, 503, 504, 599]) expect(classifyOutcome({ status })).toBe('retry');
  });

  it('retries 408 and 429', () => {
    expect(classifyOutcome({ status: 408 })).toBe('retry');
    expect(classifyOutcome({ status: 429 })).toBe('retry');
  });

  it('gives up on the other client errors', () => {
    for (const status of [400, 401, 403, 404, 405, 410, 413, 422]) expect(classifyOutcome({ status })).toBe('give_up');
  });

  it('gives up on redirects, which are not followed', () => {
    for (const status of [301, 302, 303, 307, 308]) expect(classifyOutcome({ status })).toBe('give_up');
  });

  it('retries network failures, timeouts and cancelled attempts', () => {
    expect(classifyOutcome({ error: { kind: 'network' } })).toBe('retry');
    expect(classifyOutcome({ error: { kind: 'timeout' } })).toBe('retry');
    expect(classifyOutcome({ error: { kind: 'aborted' } })).toBe('retry');
  });

  it('gives up on an invalid target', () => {
    expect(classifyOutcome({ error: { kind: 'invalid_target' } })).toBe('give_up');
  });

  it('lets a status win over an error that came after it', () => {
    expect(classifyOutcome({ status: 200, error: { kind: 'timeout' } })).toBe('delivered');
  });
});

describe('retryDelayMs', () => {
  it('stays within [0, min(maxMs, baseMs·2^(attempt−1))) without Retry-After', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 0, max: 86_400_000 }),
        unit,
        (attempt, baseMs, maxMs, r) => {
          const d = retryDelayMs(attempt, { baseMs, maxMs, random: () => r });
          const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
          expect(Number.isInteger(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(ceiling);
          if (ceiling > 0) expect(d).toBeLessThan(ceiling);
        },
      ),
    );
  });

  it('is full jitter: the random draw scales the whole ceiling', () => {
    expect(retryDelayMs(3, { baseMs: 1000, maxMs: 60_000, random: () => 0 })).toBe(0);
    expect(retryDelayMs(3, { baseMs: 1000, maxMs: 60_000, random: () => 0.5 })).toBe(2000);
    expect(retryDelayMs(3, { baseMs: 1000, maxMs: 60_000, random: () => 0.999_999 })).toBe(3999);
  });

  it('never exceeds maxMs however many attempts were made', () => {
    expect(retryDelayMs(10_000, { baseMs: 1000, maxMs: 300_000, random: () => 0.999_999 })).toBe(299_999);
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

  it('refuses an attempt number below 1 or not whole', () => {
    expect(() => retryDelayMs(0, { baseMs: 1000, maxMs: 60_000 })).toThrow(RetryPolicyInputError);
    expect(() => retryDelayMs(1.5, { baseMs: 1000, maxMs: 60_000 })).toThrow(RetryPolicyInputError);
  });

  it('refuses a negative or non-finite base or cap', () => {
    expect(() => retryDelayMs(1, { baseMs: -1, maxMs: 60_000 })).toThrow(RetryPolicyInputError);
    expect(() => retryDelayMs(1, { baseMs: 1000, maxMs: Number.POSITIVE_INFINITY })).toThrow(RetryPolicyInputError);
  });
});

describe('parseRetryAfterMs', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfterMs('120', NOW)).toBe(120_000);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfterMs('Thu, 15 Jan 2026 12:00:30 GMT', NOW)).toBe(30_000);
  });
});
