import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouse, quoteIdentifier, quoteString, serverExecutor, sql, type SqlExecutor } from '@leadscore/clickhouse';
import { chdbExecutor } from '../support/chdb.ts';
import { hostileStrings } from '../support/hostile-strings.ts';
import { assertTestNamespace, testNamespace } from '../support/namespace.ts';
import { services } from '../support/services.ts';

const db = testNamespace('quoting');
let client: ClickHouseClient;
let chdb: ReturnType<typeof chdbExecutor>;
const engines: Record<string, () => SqlExecutor> = {
  'ClickHouse server (18.16 here)': () => serverExecutor(client),
  'current ClickHouse (chdb)': () => chdb,
};

beforeAll(() => {
  const s = services();
  client = createClickHouse({ url: s.clickhouseUrl, user: s.clickhouseUser, password: s.clickhousePassword });
  chdb = chdbExecutor();
});

afterAll(async () => {
  assertTestNamespace(db);
  await client.command({ query: sql`DROP DATABASE IF EXISTS ${quoteIdentifier(db)}` });
  await client.close();
  chdb.close();
});

async function roundTrip(exec: SqlExecutor, values: readonly string[]): Promise<string[]> {
  const rows = await exec.rows<{ v: string }>(`SELECT arrayJoin([${values.map(quoteString).join(', ')}]) AS v`);
  return rows.map((r) => r.v);
}

for (const [engine, exec] of Object.entries(engines)) {
  describe(`quoting on ${engine}`, () => {
    it('selects every hostile string back unchanged', async () => {
      expect(await roundTrip(exec(), hostileStrings)).toEqual(hostileStrings);
    });

    it('stores and reads back hostile strings through INSERT … VALUES', async () => {
      const e = exec();
      const table = `${quoteIdentifier(db).text}.${quoteIdentifier(`strings_${engine.length}`).text}`;
      await e.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(db).text}`);
      await e.command(`CREATE TABLE IF NOT EXISTS ${table} (i UInt32, s String) ENGINE = MergeTree() ORDER BY i`);
      await e.command(`INSERT INTO ${table} (i, s) VALUES ${hostileStrings.map((s, i) => sql`(${i}, ${s})`).join(', ')}`);
      const rows = await e.rows<{ s: string }>(`SELECT s FROM ${table} ORDER BY i`);
      expect(rows.map((r) => r.s)).toEqual(hostileStrings);
    });

    it('round-trips random unicode strings', async () => {
      const e = exec();
      await fc.assert(
        fc.asyncProperty(fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 50 }), async (values) => {
          expect(await roundTrip(e, values)).toEqual(values);
        }),
        { numRuns: 30 },
      );
    });
  });
}
