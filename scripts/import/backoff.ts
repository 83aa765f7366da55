import { retryDelayMs } from '@leadscore/events';

/**
 * When to try a request again: the project's one backoff (full jitter, so several importers that failed together do
 * not return together), with the collector's Retry-After a floor, never cut short.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseMs: 500, maxMs: 30_000 };

/** The wait before attempt `failures + 1`, after `failures` failed attempts (1 or more). */
export function retryDelay(failures: number, retryAfter: string | null | undefined, policy: RetryPolicy, random: () => number = Math.random): number {
  return retryDelayMs(failures, { baseMs: policy.baseMs, maxMs: policy.maxMs, retryAfter: retryAfter ?? undefined, random });
}

/** Statuses worth another try: the server is busy or briefly broken, and the same messageIds make a repeat harmless. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}
