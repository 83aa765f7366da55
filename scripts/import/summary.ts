import type { ImportKind } from './kinds.ts';
import type { RejectedRow } from './plan.ts';

export interface ImportOutcome {
  readonly kind: ImportKind;
  readonly file: string;
  /** Data rows in the file, blank rows not counted. */
  readonly rows: number;
  /** Messages the collector took (none in a dry run). */
  readonly accepted: number;
  /** Rows that would be sent: all valid rows in a dry run. */
  readonly valid: number;
  readonly rejected: readonly RejectedRow[];
  readonly rejectsFile: string;
  readonly dryRun: boolean;
  readonly collector: string;
}

export function rejectedByReason(rejected: readonly RejectedRow[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of rejected) counts.set(r.problem.reason, (counts.get(r.problem.reason) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** The closing report for a person, then the machine-readable last line. */
export function formatSummary(o: ImportOutcome): string {
  const lines = [
    o.dryRun ? `Dry run of ${o.kind} from ${o.file}: checked, nothing sent.` : `Imported ${o.kind} from ${o.file} into ${o.collector}.`,
    `  rows read  ${o.rows}`,
    o.dryRun ? `  valid      ${o.valid} (would be sent)` : `  accepted   ${o.accepted}`,
    `  rejected   ${o.rejected.length}`,
    ...rejectedByReason(o.rejected).map(([reason, n]) => `    ${reason.padEnd(24)} ${n}`),
    o.rejected.length > 0 ? `  rejects    ${o.rejectsFile} (line and reason of each)` : `  rejects    none (${o.rejectsFile} has the header only)`,
  ];
  return `${lines.join('\n')}\n${machineLine(o)}\n`;
}

export function machineLine(o: Pick<ImportOutcome, 'rows' | 'accepted' | 'rejected' | 'dryRun' | 'valid'>): string {
  return `rows=${o.rows} accepted=${o.accepted} rejected=${o.rejected.length}${o.dryRun ? ` valid=${o.valid} dry_run=1` : ''}`;
}
