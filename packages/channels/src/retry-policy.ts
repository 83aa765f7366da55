/**
 * What one delivery attempt means for the alert: done, worth another attempt later, or hopeless. Pure, so the
 * alerts service and the tests agree on it without a network. How long to wait before the next attempt is
 * `retryDelayMs` in @leadscore/events, shared with the other retry loops, which do not depend on this package.
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
