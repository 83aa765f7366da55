import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, quoteIdentifier, sql } from '@leadscore/clickhouse';
import { services } from '@leadscore/tests/support/services.ts';
import { testNamespace } from '@leadscore/tests/support/namespace.ts';
import { createInsertCoalescer } from '../src/insert-coalescer.ts';

const ns = testNamespace('coalesce');
const db = quoteIdentifier(ns);
let clickhouse: ReturnType<typeof createClickHouse>;

beforeAll(async () => {
  const s = services();
  clickhouse = createClickHouse({ url: s.clickhouseUrl, user: s.clickhouseUser, password: s.clickhousePassword });
  await clickhouse.command({ query: sql`CREATE DATABASE IF NOT EXISTS ${db}` });
  await clickhouse.command({ query: sql`CREATE TABLE ${db}.rows (batch String, n UInt32) ENGINE = MergeTree ORDER BY (batch, n)` });
});
afterAll(async () => {
  await clickhouse.command({ query: sql`DROP DATABASE IF EXISTS ${db}` });
  await clickhouse.close();
});

const rowsOf = (batch: string, count: number) => Array.from({ length: count }, (_, n) => ({ batch, n }));
async function countOf(batch: string): Promise<number> {
  const result = await clickhouse.query({ query: sql`SELECT count() AS c FROM ${db}.rows WHERE batch = ${batch}`, format: 'JSONEachRow' });
  return Number(((await result.json()) as { c: string }[])[0]?.c);
}

describe('the insert coalescer', () => {
  it('writes the rows of batches in hand together in one insert, and each batch learns when its rows are in', async () => {
    const inserts: number[] = [];
    const coalescer = createInsertCoalescer(clickhouse, { lingerMs: 50, onInsert: (_table, rows) => inserts.push(rows) });
    await Promise.all([coalescer.insert(`${ns}.rows`, rowsOf('a', 3)), coalescer.insert(`${ns}.rows`, rowsOf('b', 4))]);
    expect(inserts).toEqual([7]);
    expect([await countOf('a'), await countOf('b')]).toEqual([3, 4]);
  });

  it('inserts at once when the rows waiting reach the most it holds', async () => {
    const coalescer = createInsertCoalescer(clickhouse, { lingerMs: 60_000, maxRows: 5 });
    await coalescer.insert(`${ns}.rows`, rowsOf('c', 5));
    expect(await countOf('c')).toBe(5);
  });

  it('fails every batch of an insert that fails, so each is retried', async () => {
    const coalescer = createInsertCoalescer(clickhouse, { lingerMs: 20 });
    const results = await Promise.allSettled([coalescer.insert(`${ns}.missing`, rowsOf('d', 1)), coalescer.insert(`${ns}.missing`, rowsOf('e', 1))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('groups what arrives while an insert runs into the next one', async () => {
    const inserts: number[] = [];
    const coalescer = createInsertCoalescer(clickhouse, { lingerMs: 1, maxRows: 1, onInsert: (_table, rows) => inserts.push(rows) });
    await Promise.all([coalescer.insert(`${ns}.rows`, rowsOf('f', 1)), coalescer.insert(`${ns}.rows`, rowsOf('g', 2)), coalescer.insert(`${ns}.rows`, rowsOf('h', 3))]);
    expect(inserts).toEqual([1, 5]);
    expect([await countOf('f'), await countOf('g'), await countOf('h')]).toEqual([1, 2, 3]);
  });

  it('with no linger, inserts each batch on its own at once', async () => {
    const inserts: number[] = [];
    const coalescer = createInsertCoalescer(clickhouse, { lingerMs: 0, onInsert: (_table, rows) => inserts.push(rows) });
    await Promise.all([coalescer.insert(`${ns}.rows`, rowsOf('i', 1)), coalescer.insert(`${ns}.rows`, rowsOf('j', 2))]);
    expect(inserts.sort()).toEqual([1, 2]);
  });

  it('splits rows that span more partitions than one insert may take (current ClickHouse refuses over 100)', async () => {
    const inserts: number[] = [];
    const coalescer = createInsertCoalescer(clickhouse, { lingerMs: 1, partitionOf: (_table, row) => String((row as { n: number }).n % 250), onInsert: (_table, rows) => inserts.push(rows) });
    await coalescer.insert(`${ns}.rows`, rowsOf('k', 500));
    expect(inserts).toEqual([200, 200, 100]);
    expect(await countOf('k')).toBe(500);
  });
});
