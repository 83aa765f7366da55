import { describe, expect, it } from 'vitest';
import { planRetention, retentionCutoff } from '../src/retention.ts';

describe('retention', () => {
  it('keeps the given number of months, the current one included', () => {
    expect(retentionCutoff(new Date('2026-06-30T12:00:00Z'), 3)).toBe(202604);
    expect(retentionCutoff(new Date('2026-01-01T00:00:00Z'), 25)).toBe(202401);
    expect(retentionCutoff(new Date('2026-03-15T00:00:00Z'), 1)).toBe(202603);
  });

  it('drops a partition with nothing to keep, trims one with orders, and leaves one trimmed already', () => {
    expect(
      planRetention([
        { table: 'events', month: 202501, rows: 10, kept: 0 },
        { table: 'events', month: 202502, rows: 10, kept: 2 },
        { table: 'events', month: 202503, rows: 2, kept: 2 },
      ]),
    ).toEqual([
      { kind: 'drop', table: 'events', month: 202501, rows: 10 },
      { kind: 'trim', table: 'events', month: 202502, rows: 10, kept: 2 },
    ]);
  });
});
