import { describe, expect, it } from 'vitest';
import { DEFAULT_MAPPING } from '../mapping.ts';
import { planRows } from '../plan.ts';

const header = ['Email', 'Title'];
const plan = (rows: [number, string[]][]) => planRows('leads', header, rows.map(([line, cells]) => ({ line, cells })), { mapping: DEFAULT_MAPPING, now: new Date('2026-01-01T00:00:00Z') });

describe('planning an import', () => {
  it('sends good rows with their line numbers', () => {
    expect(plan([[2, ['a@acme.example', 'CTO']], [3, ['b@acme.example', 'CEO']]]).outgoing.map((r) => r.line)).toEqual([2, 3]);
  });

  it('refuses a bad row with its line and reason, keeping its cells', () => {
    expect(plan([[7, ['nope', 'CTO']]]).rejected).toEqual([{ line: 7, cells: ['nope', 'CTO'], problem: { reason: 'invalid_email', message: 'email "nope" is not an email address' } }]);
  });

  it('refuses a row with more or fewer fields than the header', () => {
    expect(plan([[4, ['a@acme.example', 'CTO', 'extra']]]).rejected[0]?.problem).toEqual({ reason: 'wrong_field_count', message: 'has 3 fields; the header has 2' });
  });

  it('refuses a repeated key, naming the line it repeats', () => {
    const result = plan([[2, ['ann@acme.example', 'CTO']], [3, ['ANN@acme.example', 'CEO']]]);
    expect(result.outgoing.map((r) => r.line)).toEqual([2]);
    expect(result.rejected[0]).toMatchObject({ line: 3, problem: { reason: 'duplicate_key', message: 'repeats the email "ann@acme.example" of line 2; only the first is imported' } });
  });

  it('sends the first good row of a key when an earlier one was bad', () => {
    const header3 = ['Lead ID', 'Email'];
    const result = planRows('leads', header3, [{ line: 2, cells: ['L-1', 'bad'] }, { line: 3, cells: ['L-1', 'ok@acme.example'] }], { mapping: DEFAULT_MAPPING, now: new Date() });
    expect(result.outgoing.map((r) => r.line)).toEqual([3]);
  });

  it('measures each message for packing requests', () => {
    const [row] = plan([[2, ['a@acme.example', 'CTO']]]).outgoing;
    expect(row?.bytes).toBe(Buffer.byteLength(JSON.stringify(row?.message)));
  });
});
