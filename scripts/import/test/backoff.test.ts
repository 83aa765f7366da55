import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, isRetryableStatus, retryDelay } from '../backoff.ts';

const policy = { maxAttempts: 5, baseMs: 100, maxMs: 1000 };
const almostOne = () => 0.999_999;

describe('retry delays', () => {
  it('grow exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, undefined, policy, almostOne))).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('are jittered anywhere between zero and the bound', () => {
    expect(retryDelay(3, undefined, policy, () => 0.25)).toBe(100);
    expect(retryDelay(3, undefined, policy, () => 0)).toBe(0);
  });

  it('start at half a second and stop growing at 30 s by default', () => {
    expect([1, 2, 7, 8, 20].map((n) => retryDelay(n, undefined, DEFAULT_RETRY, almostOne))).toEqual([499, 999, 29_999, 29_999, 29_999]);
  });

  it('wait at least as long as Retry-After asks, in seconds or as an HTTP date', () => {
    expect(retryDelay(1, '5', policy, () => 0.5)).toBe(5000);
    expect(retryDelay(1, new Date(Date.now() + 60_000).toUTCString(), policy, () => 0.5)).toBeGreaterThan(50_000);
  });

  it('keep the backoff when it is longer than Retry-After', () => {
    expect(retryDelay(5, '0', policy, almostOne)).toBe(999);
  });

  it('ignore a Retry-After that is absent or unreadable', () => {
    expect([retryDelay(2, null, policy, () => 0.5), retryDelay(2, 'soon', policy, () => 0.5)]).toEqual([100, 100]);
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
