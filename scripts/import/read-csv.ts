import { createReadStream } from 'node:fs';
import { CsvError, parse } from 'csv-parse';
import { CsvFileError, UsageError } from './errors.ts';
import type { CsvRow } from './plan.ts';

export interface CsvFile {
  readonly header: readonly string[];
  readonly rows: readonly CsvRow[];
}

/**
 * Reads a whole CSV file: RFC 4180 quoting (and a stray quote inside an unquoted cell, as in `24" monitor`), cells
 * spanning lines, a UTF-8 byte-order mark, rows whose field count
 * differs from the header's (kept, so the row can be rejected with its line rather than end the run). Rows with
 * only empty cells are skipped: spreadsheets leave them at the end. The whole file is read before anything is
 * sent, so a file that is not CSV sends nothing.
 */
export async function readCsv(file: string): Promise<CsvFile> {
  const source = createReadStream(file);
  const parser = source.pipe(parse({ bom: true, info: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, skip_records_with_empty_values: true }));
  // pipe() does not pass a read error on; without this a missing file would leave the parser waiting forever.
  source.on('error', (err) => parser.destroy(err));
  let header: string[] | undefined;
  const rows: CsvRow[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (header === undefined) {
        header = record.map((h) => h.trim());
        continue;
      }
      // csv-parse counts the line a record ends on; a quoted cell with line breaks started that many lines earlier.
      const breaks = record.reduce((n, cell) => n + (cell.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
      rows.push({ line: info.lines - breaks, cells: record });
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`no such file: ${file}`);
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw new UsageError(`${file} is a directory, not a CSV file`);
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines;
      throw new CsvFileError(file, `not readable as CSV, nothing was sent: ${err.message}`, line);
    }
    throw new CsvFileError(file, (err as Error).message);
  }
  if (header === undefined) throw new CsvFileError(file, 'is empty; expected a header row naming the columns');
  return { header, rows };
}
