/**
 * When to try a request again. Exponential backoff with full jitter (a random wait up to the exponential bound), so
 * several importers that failed together do not return together; a server's Retry-After is a floor, never cut short.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseMs: 500, maxMs: 30_000 };

/** The wait before attempt `failures + 1`, after `failures` failed attempts (1 or more). */
export function retryDelay(failures: number, retryAfterMs: number | undefined, policy: RetryPolicy, random: () => number = Math.random): number {
  const bound = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  const jittered = Math.round(random() * bound);
  return retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered);
}

/** Retry-After as seconds (`5`) or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now: Date): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** Statuses worth another try: the server is busy or briefly broken, and the same messageIds make a repeat harmless. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}
