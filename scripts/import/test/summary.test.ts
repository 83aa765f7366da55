import { describe, expect, it } from 'vitest';
import type { RejectedRow } from '../plan.ts';
import { formatSummary, machineLine, rejectedByReason } from '../summary.ts';

const rejected = (...reasons: string[]): RejectedRow[] => reasons.map((reason, i) => ({ line: i + 2, cells: [], problem: { reason, message: '' } }));
const outcome = { kind: 'leads' as const, file: 'l.csv', rows: 10, accepted: 7, valid: 7, rejected: rejected('invalid_email', 'duplicate_key', 'invalid_email'), rejectsFile: 'l.csv.rejects.csv', dryRun: false, collector: 'http://c' };

describe('the summary', () => {
  it('counts rejections by reason, most first', () => {
    expect(rejectedByReason(outcome.rejected)).toEqual([['invalid_email', 2], ['duplicate_key', 1]]);
  });

  it('ends with the machine-readable line', () => {
    expect(formatSummary(outcome).trimEnd().split('\n').at(-1)).toBe('rows=10 accepted=7 rejected=3');
  });

  it('says where the rejects file is', () => {
    expect(formatSummary(outcome)).toContain('rejects    l.csv.rejects.csv');
  });

  it('of a dry run says nothing was sent and how many rows would be', () => {
    expect(machineLine({ ...outcome, accepted: 0, dryRun: true })).toBe('rows=10 accepted=0 rejected=3 valid=7 dry_run=1');
  });
});
