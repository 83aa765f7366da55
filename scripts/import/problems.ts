import type { FieldIssue } from '@leadscore/events';

/**
 * Why a row is not imported. The first group is found here before anything is sent; the collector's own reasons
 * (invalid_message, too_large, timestamp_out_of_range, invalid_unicode, no_identity) arrive as strings in its answer
 * and are kept as they come.
 */
export const ROW_REASONS = [
  'missing_key',
  'missing_identity',
  'invalid_email',
  'invalid_domain',
  'invalid_amount',
  'unknown_currency',
  'invalid_date',
  'invalid_products',
  'wrong_field_count',
  'duplicate_key',
  'invalid_message',
  'too_large',
  'timestamp_out_of_range',
  'invalid_unicode',
  'no_identity',
  'not_permitted',
] as const;

export type RowReason = (typeof ROW_REASONS)[number];

export interface RowProblem {
  readonly reason: RowReason | (string & {});
  /** For a person, naming the column and the value. */
  readonly message: string;
  readonly issues?: readonly FieldIssue[];
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: RowProblem };

export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const fail = (reason: RowReason, message: string, issues?: readonly FieldIssue[]): { readonly ok: false; readonly problem: RowProblem } => ({
  ok: false,
  problem: { reason, message, ...(issues ? { issues } : {}) },
});

/** A problem as one cell of the rejects file: `invalid_email: "bob@" is not an email address`. */
export function describeProblem(problem: RowProblem): string {
  return `${problem.reason}: ${problem.message}`;
}
