/**
 * Exponential backoff with jitter, one definition for the server-side retry loops (the ingest worker's failed
 * batches, alert deliveries, the CSV importer's requests). It lives here because every one of their packages already
 * depends on @leadscore/events, and it has no workspace dependencies of its own, so none of them has to depend on
 * another's. Pure: the clock and the random draw can be passed in.
 */

/**
 * `full`: uniform in [0, ceiling), which spreads a burst of failures best (AWS "Exponential Backoff and Jitter").
 * `equal`: uniform in [ceiling/2, ceiling), which still spreads them but guarantees some pause, for a loop that must
 * not hammer a store that is down.
 */
export type Jitter = 'full' | 'equal';

export interface BackoffOptions {
  /** Ceiling of the first retry's delay; the ceiling doubles each attempt. */
  readonly baseMs: number;
  /** Largest backoff delay, whatever the attempt number. */
  readonly maxMs: number;
  /** Default `full`. */
  readonly jitter?: Jitter;
  /** Uniform in [0, 1). */
  readonly random?: () => number;
}

export interface RetryDelayOptions extends BackoffOptions {
  /** The server's `Retry-After` header, delta-seconds or an HTTP-date. */
  readonly retryAfter?: string | undefined;
  /**
   * The most a `Retry-After` is obeyed for (default 1 h): above it the server's wish is capped, so a misconfigured or
   * hostile endpoint can not park a retry for days. It may exceed `maxMs`, since retrying before the server said it
   * would accept again only earns another 429.
   */
  readonly maxRetryAfterMs?: number;
  /** Epoch milliseconds, to turn an HTTP-date into a delay. */
  readonly now?: number;
}

export const DEFAULT_MAX_RETRY_AFTER_MS = 3_600_000;

export class BackoffInputError extends Error {
  override readonly name = 'BackoffInputError';
}

function checkLimits(limits: readonly (readonly [string, number])[]): void {
  for (const [name, v] of limits) {
    if (!Number.isFinite(v) || v < 0) throw new BackoffInputError(`${name} must be a finite number ≥ 0, got ${v}`);
  }
}

/**
 * Delay before attempt `attempt + 1`, where `attempt` (1-based) is the number of attempts made so far: a whole
 * number of milliseconds below min(maxMs, baseMs·2^(attempt−1)) (or 0 when that is 0), jittered as `jitter` says.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions): number {
  const { baseMs, maxMs, jitter = 'full' } = options;
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new BackoffInputError(`attempt must be an integer ≥ 1, got ${attempt}`);
  }
  checkLimits([['baseMs', baseMs], ['maxMs', maxMs]]);
  return jitteredDelayMs(attempt, baseMs, maxMs, jitter, (options.random ?? Math.random)());
}

/**
 * backoffDelayMs without its checks, for the browser tracker, whose every byte every visitor downloads; its inputs
 * are constants there.
 */
export function jitteredDelayMs(attempt: number, baseMs: number, maxMs: number, jitter: Jitter, r: number): number {
  // 2 ** 1100 is Infinity, and min() takes care of it, except that 0 · Infinity is NaN: a zero base stays zero.
  const ceiling = baseMs === 0 ? 0 : Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  // A broken random source must not produce a delay beyond the ceiling or a negative one.
  const u = r >= 0 && r < 1 ? r : 0;
  const x = jitter === 'equal' ? ceiling / 2 + (ceiling / 2) * u : ceiling * u;
  // Rounding can carry a draw just below 1 onto the ceiling itself, which the bound excludes.
  return Math.min(Math.floor(x), Math.max(0, Math.ceil(ceiling) - 1));
}

/**
 * `backoffDelayMs`, but never sooner than a valid `Retry-After` (capped at `maxRetryAfterMs`); a malformed or past
 * one is ignored.
 */
export function retryDelayMs(attempt: number, options: RetryDelayOptions): number {
  const { retryAfter, maxRetryAfterMs = DEFAULT_MAX_RETRY_AFTER_MS } = options;
  checkLimits([['maxRetryAfterMs', maxRetryAfterMs]]);
  const jittered = backoffDelayMs(attempt, options);
  const floor = retryAfter === undefined ? undefined : parseRetryAfterMs(retryAfter, options.now ?? Date.now());
  if (floor === undefined) return jittered;
  return Math.max(jittered, Math.min(floor, maxRetryAfterMs));
}

/**
 * `Retry-After` (RFC 9110 §10.2.3) in milliseconds from `now`: delta-seconds (digits only) or an HTTP-date.
 * Undefined when it is neither, or a date already past.
 */
export function parseRetryAfterMs(value: string, now: number): number | undefined {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // Date.parse also reads bare numbers and other oddities; an HTTP-date always names a weekday or month.
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at) || at <= now) return undefined;
  return at - now;
}
