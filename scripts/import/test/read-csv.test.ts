import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvFileError, UsageError } from '../errors.ts';
import { readCsv } from '../read-csv.ts';

const dir = mkdtempSync(join(tmpdir(), 'import-csv-'));
function file(text: string): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(path, text);
  return path;
}

describe('reading a CSV file', () => {
  it('takes the first row as the header, without a byte-order mark', async () => {
    expect((await readCsv(file('\ufeffEmail,Title\r\na@x.example,CTO\r\n'))).header).toEqual(['Email', 'Title']);
  });

  it('numbers each row by the line it starts on, counting quoted line breaks', async () => {
    const { rows } = await readCsv(file('Email,Notes\na@x.example,"two\nlines"\nb@x.example,one\n'));
    expect(rows.map((r) => [r.line, r.cells[0]])).toEqual([[2, 'a@x.example'], [4, 'b@x.example']]);
  });

  it('skips blank lines and rows of empty cells but keeps counting lines', async () => {
    const { rows } = await readCsv(file('Email,Title\n\na@x.example,CTO\n,\nb@x.example,CEO'));
    expect(rows.map((r) => r.line)).toEqual([3, 5]);
  });

  it('keeps a row with the wrong number of fields, to be rejected with its line', async () => {
    expect((await readCsv(file('Email,Title\na@x.example,CTO,extra\n'))).rows[0]).toEqual({ line: 2, cells: ['a@x.example', 'CTO', 'extra'] });
  });

  it('keeps quoted commas and quotes inside cells', async () => {
    expect((await readCsv(file('Name,Title\n"Lee, Ann","the ""boss"""\n'))).rows[0]?.cells).toEqual(['Lee, Ann', 'the "boss"']);
  });

  it('fails on a file that is not CSV, naming the line', async () => {
    const err = await readCsv(file('Email,Title\na@x.example,"unclosed\n')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CsvFileError);
    expect(err).toMatchObject({ line: 2, message: expect.stringMatching(/not readable as CSV, nothing was sent/) });
  });

  it('takes a stray quote inside an unquoted cell as a character', async () => {
    expect((await readCsv(file('Item,Size\nmonitor,24" wide\n'))).rows[0]?.cells).toEqual(['monitor', '24" wide']);
  });

  it('fails on an empty file', async () => {
    await expect(readCsv(file(''))).rejects.toThrow(/is empty; expected a header row/);
  });

  it('fails on a missing file as a usage error', async () => {
    await expect(readCsv(join(dir, 'missing.csv'))).rejects.toBeInstanceOf(UsageError);
  });
});
