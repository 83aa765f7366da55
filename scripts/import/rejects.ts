import { csvLine } from './csv-format.ts';
import type { RejectedRow } from './plan.ts';
import { describeProblem } from './problems.ts';

/**
 * The rejects file: every refused row as it was in the file, after its line number and the reason. Those two come
 * first so they stay in their columns even for a row with too many or too few fields.
 */
export function rejectsCsv(header: readonly string[], rejected: readonly RejectedRow[]): string {
  const taken = new Set(header);
  // A file that has its own "line" or "reason" column keeps it; ours step aside.
  const name = (n: string) => (taken.has(n) ? `_${n}` : n);
  const lines = [csvLine([name('line'), name('reason'), ...header])];
  for (const row of [...rejected].sort((a, b) => a.line - b.line)) {
    lines.push(csvLine([String(row.line), describeProblem(row.problem), ...row.cells]));
  }
  return `${lines.join('\n')}\n`;
}

/** Where the rejects go unless --rejects says otherwise: beside the file. */
export const defaultRejectsPath = (file: string) => `${file}.rejects.csv`;
