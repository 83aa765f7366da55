import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { literal, quoteIdentifier, quoteString, sql, SqlQuotingError } from '../src/quote.ts';

describe('quoting values for ClickHouse SQL', () => {
  it('escapes quotes and backslashes', () => {
    expect(quoteString(`it's a \\ path`)).toBe(`'it\\'s a \\\\ path'`);
  });

  it('escapes NUL and control characters', () => {
    expect(quoteString('a\0b\nc\rd\te')).toBe(`'a\\0b\\nc\\rd\\te'`);
  });

  it('passes unicode through unchanged', () => {
    expect(quoteString('客户画像 🔥')).toBe(`'客户画像 🔥'`);
  });

  it('refuses a lone surrogate rather than sending a replacement character', () => {
    expect(() => quoteString('bad \uD800 half')).toThrow(SqlQuotingError);
  });

  it('never leaves an unescaped quote inside the literal', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const q = quoteString(s);
        const body = q.slice(1, -1);
        // Every quote inside is preceded by an odd number of backslashes.
        for (let i = 0; i < body.length; i++) {
          if (body[i] === "'") {
            let n = 0;
            for (let j = i - 1; j >= 0 && body[j] === '\\'; j--) n++;
            expect(n % 2).toBe(1);
          }
        }
        expect(body.endsWith('\\') ? body.match(/\\+$/)![0].length % 2 : 0).toBe(0);
      }),
    );
  });

  it('renders numbers, booleans, null, dates and arrays', () => {
    expect(literal(42)).toBe('42');
    expect(literal(-1.5)).toBe('-1.5');
    expect(literal(12345678901234567890n)).toBe('12345678901234567890');
    expect(literal(true)).toBe('1');
    expect(literal(null)).toBe('NULL');
    expect(literal(new Date('2026-11-25T08:00:00.999Z'))).toBe(`toDateTime('2026-11-25 08:00:00', 'UTC')`);
    expect(literal(['a', 1, ["b'"]])).toBe(`['a', 1, ['b\\'']]`);
  });

  it('refuses numbers without a literal', () => {
    expect(() => literal(Number.NaN)).toThrow(SqlQuotingError);
    expect(() => literal(Number.POSITIVE_INFINITY)).toThrow(SqlQuotingError);
    expect(() => literal(new Date('nope'))).toThrow(SqlQuotingError);
  });

  it('quotes identifiers with back quotes', () => {
    expect(quoteIdentifier('events').text).toBe('`events`');
    expect(quoteIdentifier('we`ird\\').text).toBe('`we\\`ird\\\\`');
    expect(() => quoteIdentifier('')).toThrow(SqlQuotingError);
  });

  it('turns every interpolation of the sql template into a literal', () => {
    const lead = `x' OR 1=1 --`;
    expect(sql`SELECT * FROM ${quoteIdentifier('db')}.events WHERE lead = ${lead} LIMIT ${10}`).toBe(
      "SELECT * FROM `db`.events WHERE lead = 'x\\' OR 1=1 --' LIMIT 10",
    );
  });
});
