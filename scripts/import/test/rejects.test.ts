import { describe, expect, it } from 'vitest';
import { csvCell } from '../csv-format.ts';
import { defaultRejectsPath, rejectsCsv } from '../rejects.ts';

describe('the rejects file', () => {
  it('lists each refused row after its line and reason, in line order', () => {
    const text = rejectsCsv(['Email', 'Title'], [
      { line: 9, cells: ['b@', 'CEO'], problem: { reason: 'invalid_email', message: 'email "b@" is not an email address' } },
      { line: 3, cells: ['', 'CTO'], problem: { reason: 'missing_key', message: 'has neither a lead id nor an email' } },
    ]);
    expect(text).toBe('line,reason,Email,Title\n3,missing_key: has neither a lead id nor an email,,CTO\n9,"invalid_email: email ""b@"" is not an email address",b@,CEO\n');
  });

  it('keeps the file\'s own line and reason columns', () => {
    expect(rejectsCsv(['line', 'Email'], []).split('\n')[0]).toBe('_line,reason,line,Email');
  });

  it('lies beside the imported file by default', () => {
    expect(defaultRejectsPath('exports/leads.csv')).toBe('exports/leads.csv.rejects.csv');
  });
});

describe('CSV cells', () => {
  it('are quoted when they hold a comma, quote or line break', () => {
    expect(['a,b', 'say "hi"', 'two\nlines', 'plain'].map(csvCell)).toEqual(['"a,b"', '"say ""hi"""', '"two\nlines"', 'plain']);
  });

  it('are quoted when they start or end with a space, which readers would trim', () => {
    expect(csvCell(' x')).toBe('" x"');
  });
});
