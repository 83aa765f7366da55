import { describe, expect, it } from 'vitest';
import { isRetryableStatus, parseRetryAfter, retryDelay } from '../backoff.ts';

const policy = { maxAttempts: 5, baseMs: 100, maxMs: 1000 };

describe('retry delays', () => {
  it('grow exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, undefined, policy, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('are jittered anywhere between zero and the bound', () => {
    expect(retryDelay(3, undefined, policy, () => 0.25)).toBe(100);
  });

  it('wait at least as long as Retry-After asks', () => {
    expect(retryDelay(1, 5000, policy, () => 0.5)).toBe(5000);
  });

  it('keep the backoff when it is longer than Retry-After', () => {
    expect(retryDelay(5, 10, policy, () => 1)).toBe(1000);
  });
});

describe('Retry-After', () => {
  const now = new Date('2026-01-01T00:00:00Z');

  it('is read in seconds', () => {
    expect(parseRetryAfter('5', now)).toBe(5000);
  });

  it('is read as an HTTP date', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
  });

  it('is ignored when absent or unreadable', () => {
    expect([parseRetryAfter(null, now), parseRetryAfter('soon', now)]).toEqual([undefined, undefined]);
  });
});

describe('retryable answers', () => {
  it('are 429 and server errors', () => {
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
  });

  it('are not other client errors', () => {
    expect([400, 401, 403, 404, 413].some(isRetryableStatus)).toBe(false);
  });
});
