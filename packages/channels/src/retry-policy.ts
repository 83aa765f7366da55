/**
 * What one delivery attempt means for the alert: done, worth another attempt later, or hopeless. Pure, so the
 * alerts service and the tests agree on it without a network.
 */
export type Outcome = 'delivered' | 'retry' | 'give_up';

/**
 * Why an attempt failed. `network` (refused, reset, DNS) and `timeout` are the transport's failures, `aborted` the
 * caller's own cancellation (shutdown), `invalid_target` a URL that must never be contacted, `http_status` an answer
 * that was not 2xx.
 */
export type FailureKind = 'network' | 'timeout' | 'aborted' | 'invalid_target' | 'http_status';

export interface DeliveryFailure {
  readonly kind: FailureKind;
  readonly message: string;
  /** The errno-style code (`ECONNREFUSED`, `ETIMEDOUT`, …) or the refusal code of the target check. */
  readonly code?: string;
}

/** An attempt either got a status from the server, or failed before one (then the error says why). */
export type AttemptFacts =
  | { readonly status: number; readonly error?: Pick<DeliveryFailure, 'kind'> }
  | { readonly status?: undefined; readonly error: Pick<DeliveryFailure, 'kind'> };

export class RetryPolicyInputError extends Error {
  override readonly name = 'RetryPolicyInputError';
}

export function classifyOutcome(facts: AttemptFacts): Outcome {
  // A status wins over a later error: once the server answered 2xx the alert was accepted, even if reading the rest
  // of the body then failed, and sending it again would only duplicate it.
  if (facts.status !== undefined) return classifyStatus(facts.status);
  switch (facts.error.kind) {
    case 'network':
    case 'timeout':
    case 'aborted':
      return 'retry';
    case 'invalid_target':
    case 'http_status':
      return 'give_up';
  }
}

function classifyStatus(status: number): Outcome {
  if (status >= 200 && status < 300) return 'delivered';
  // 408 and 429 say "not now", 5xx "not us": the same request can succeed later. Every other 4xx will be refused
  // again, and 3xx is not followed (a redirect could point the signed payload anywhere, including inside).
  if (status === 408 || status === 429 || (status >= 500 && status < 600)) return 'retry';
  return 'give_up';
}

export interface RetryDelayOptions {
  /** Ceiling of the first retry's delay; the ceiling doubles each attempt. */
  readonly baseMs: number;
  /** Largest backoff delay, whatever the attempt number. */
  readonly maxMs: number;
  /** The server's `Retry-After` header, delta-seconds or an HTTP-date. */
  readonly retryAfter?: string | undefined;
  /**
   * The most a `Retry-After` is obeyed for (default 1 h): above it the server's wish is capped, so a misconfigured or
   * hostile endpoint can not park an alert for days. It may exceed `maxMs`, since retrying before the server said it
   * would accept again only earns another 429.
   */
  readonly maxRetryAfterMs?: number;
  /** Epoch milliseconds, to turn an HTTP-date into a delay. */
  readonly now?: number;
  /** Uniform in [0, 1). */
  readonly random?: () => number;
}

export const DEFAULT_MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Delay before attempt `attempt + 1`, where `attempt` (1-based) is the number of attempts made so far. Full jitter
 * (AWS "Exponential Backoff and Jitter"): uniform in [0, min(maxMs, baseMs·2^(attempt−1))), which spreads a burst of
 * failed alerts to one endpoint instead of retrying them in lockstep. A valid `Retry-After` is a floor (capped at
 * `maxRetryAfterMs`); a malformed or past one is ignored.
 */
export function retryDelayMs(attempt: number, options: RetryDelayOptions): number {
  const { baseMs, maxMs, retryAfter, maxRetryAfterMs = DEFAULT_MAX_RETRY_AFTER_MS } = options;
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RetryPolicyInputError(`attempt must be an integer ≥ 1, got ${attempt}`);
  }
  const limits = [['baseMs', baseMs], ['maxMs', maxMs], ['maxRetryAfterMs', maxRetryAfterMs]] as const;
  for (const [name, v] of limits) {
    if (!Number.isFinite(v) || v < 0) throw new RetryPolicyInputError(`${name} must be a finite number ≥ 0, got ${v}`);
  }
  const random = options.random ?? Math.random;
  // 2 ** 1100 is Infinity, and min() takes care of it, so a large attempt number needs no special case.
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  const r = random();
  const jittered = Math.floor(ceiling * (r >= 0 && r < 1 ? r : 0));
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
