/**
 * The bounds of what Redis keeps per lead and per company, beside the configured ones (dedup window, visitor
 * expiry, history cap). Each is documented in the README ("What the ingest workers keep") and held by a test.
 */
export const BOUNDS = {
  /** Scored events whose ledger lines a profile keeps, newest last; ClickHouse's score_ledger keeps every line. */
  ledgerCap: 100,
  /** Trait names per profile or company: past it, new names are not kept (values of kept names still update). */
  traitCap: 100,
  /** Order ids remembered per profile or company to count each order once: the newest by event time. */
  orderCap: 500,
  /** Members per company: the latest active. */
  memberCap: 500,
  /** Profiles remembered as linked into one lead (its devices and email identities). */
  linkedFromCap: 100,
  /** Companies a lead is remembered to have acted for (the latest): where a new role of the lead is judged. */
  companiesCap: 20,
  /** Alert outbox markers per lead or company (enqueued ones also go after the retention). */
  markerCap: 100,
} as const;
