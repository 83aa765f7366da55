import { describe, expect, it } from 'vitest';
import { parseDate, type DateOrder } from '../dates.ts';

const latest = new Date('2026-01-01T00:00:00Z');
const read = (raw: string, order: DateOrder = 'ymd') => {
  const p = parseDate(raw, { order, latest });
  return p.ok ? p.value : `refused: ${p.problem.message}`;
};

describe('dates', () => {
  it.each([
    ['2025-03-01', '2025-03-01T00:00:00.000Z'],
    ['2025/03/01', '2025-03-01T00:00:00.000Z'],
    ['2025.3.1', '2025-03-01T00:00:00.000Z'],
    ['2025/03/01 14:05', '2025-03-01T14:05:00.000Z'],
    ['2025-03-01 14:05:09', '2025-03-01T14:05:09.000Z'],
    ['2025-03-01T14:05:09.123', '2025-03-01T14:05:09.123Z'],
  ])('read %j as UTC', (raw, expected) => {
    expect(read(raw)).toBe(expected);
  });

  it.each([
    ['2025-03-01T14:05:00Z', '2025-03-01T14:05:00.000Z'],
    ['2025-03-01T14:05:00+08:00', '2025-03-01T06:05:00.000Z'],
    ['2025-03-01 14:05 -0500', '2025-03-01T19:05:00.000Z'],
    ['2025-03-01 14:05 UTC', '2025-03-01T14:05:00.000Z'],
  ])('honour the zone in %j', (raw, expected) => {
    expect(read(raw)).toBe(expected);
  });

  it('read a month-first date when the mapping says mdy', () => {
    expect(read('03/04/2025 2:05 PM', 'mdy')).toBe('2025-03-04T14:05:00.000Z');
  });

  it('read a day-first date when the mapping says dmy', () => {
    expect(read('03/04/2025', 'dmy')).toBe('2025-04-03T00:00:00.000Z');
  });

  it('read 12 AM as midnight', () => {
    expect(read('01/02/2025 12:30 AM', 'mdy')).toBe('2025-01-02T00:30:00.000Z');
  });

  it('refuse a year-last date without a date order, saying how to fix it', () => {
    expect(read('03/04/2025')).toMatch(/set dateOrder: mdy or dmy/);
  });

  it.each(['2025-02-30', '2025-13-01', '2025-03-01 24:00', '2025-03-01 10:61', '2025-03-01T10:00+15:00', '1899-12-31'])('refuse %j', (raw) => {
    expect(read(raw)).toMatch(/^refused: date /);
  });

  it.each(['yesterday', '1 March 2025', '20250301', ''])('refuse %j as not a date', (raw) => {
    expect(read(raw)).toMatch(/is not a date/);
  });

  it('accept 29 February in a leap year', () => {
    expect(read('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
  });

  it('refuse a date in the future', () => {
    expect(read('2026-01-02')).toMatch(/lies in the future/);
  });
});
