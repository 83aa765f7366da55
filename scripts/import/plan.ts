import { planColumns, rowValues, type ColumnPlan } from './columns.ts';
import type { ImportKind } from './kinds.ts';
import type { Mapping } from './mapping.ts';
import { describeKey } from './message-id.ts';
import type { RowProblem } from './problems.ts';
import { buildRow, type ImportMessage } from './rows.ts';

/** A data row as read from the file: its cells, and the line it starts on (a quoted cell may span lines). */
export interface CsvRow {
  readonly line: number;
  readonly cells: readonly string[];
}

export interface OutgoingRow {
  readonly line: number;
  /** Kept for the rejects file, should the collector refuse the message. */
  readonly cells: readonly string[];
  readonly messageId: string;
  readonly message: ImportMessage;
  /** Its size as JSON, for packing requests under the collector's limits. */
  readonly bytes: number;
}

export interface RejectedRow {
  readonly line: number;
  readonly cells: readonly string[];
  readonly problem: RowProblem;
}

export interface ImportPlan {
  readonly outgoing: readonly OutgoingRow[];
  readonly rejected: readonly RejectedRow[];
}

/**
 * Decides the fate of every row before anything is sent: the message it becomes, or why it is refused. A key seen
 * earlier in the file is refused too — the same messageId twice would be dropped downstream anyway, and saying so
 * shows the person which row of the two was left out.
 */
export function planRows<K extends ImportKind>(kind: K, header: readonly string[], rows: Iterable<CsvRow>, options: { mapping: Mapping; now: Date }): ImportPlan {
  const columns: ColumnPlan<K> = planColumns(kind, header, options.mapping);
  const outgoing: OutgoingRow[] = [];
  const rejected: RejectedRow[] = [];
  const firstLine = new Map<string, number>();
  for (const row of rows) {
    if (row.cells.length !== header.length) {
      rejected.push({ line: row.line, cells: row.cells, problem: { reason: 'wrong_field_count', message: `has ${row.cells.length} fields; the header has ${header.length}` } });
      continue;
    }
    const built = buildRow(kind, rowValues(columns, row.cells), options);
    if (!built.ok) {
      rejected.push({ line: row.line, cells: row.cells, problem: built.problem });
      continue;
    }
    const earlier = firstLine.get(built.value.messageId);
    if (earlier !== undefined) {
      rejected.push({ line: row.line, cells: row.cells, problem: { reason: 'duplicate_key', message: `repeats the ${describeKey(built.value.key)} of line ${earlier}; only the first is imported` } });
      continue;
    }
    firstLine.set(built.value.messageId, row.line);
    const { messageId, message } = built.value;
    outgoing.push({ line: row.line, cells: row.cells, messageId, message, bytes: Buffer.byteLength(JSON.stringify(message)) });
  }
  return { outgoing, rejected };
}
