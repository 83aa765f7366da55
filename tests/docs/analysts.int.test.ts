import { readFileSync } from 'node:fs';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SEGMENT_MAP, rollupSettings, runRollup } from '@leadscore/analytics';
import { createClickHouse, migrate, quoteIdentifier, serverExecutor, sql, type SqlExecutor } from '@leadscore/clickhouse';
import { insertEvents, order, page } from '../../packages/analytics/test/fixture.ts';
import { chdbExecutor } from '../support/chdb.ts';
import { assertTestNamespace, testNamespace } from '../support/namespace.ts';
import { services } from '../support/services.ts';

/**
 * docs/analysts.md as analysts use it: every `sql` block runs on ClickHouse 18.16 and on current ClickHouse against
 * two snapshots, its segment table is the map the rollups use, and the `analyst` user it documents can read and not
 * write.
 */
const doc = readFileSync(new URL('../../docs/analysts.md', import.meta.url), 'utf8');
const queries = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => (m[1] as string).trim());

// ann is the largest buyer: active as of March (orders in June and December), dormant by the end of June.
const market = [
  order('u:ann', '2025-06-01T10:00:00Z', 1000, 'USD', 'o1'),
  order('u:ann', '2025-12-20T10:00:00Z', 1000, 'USD', 'o2'),
  order('u:bob', '2026-06-01T10:00:00Z', 40, 'USD', 'o3'),
  page('u:cy', '2026-06-20T10:00:00Z'),
];
const snapshots = [new Date('2026-03-01T00:00:00Z'), new Date('2026-06-30T00:00:00Z')];

const s = services();
const server = createClickHouse({ url: s.clickhouseUrl, user: s.clickhouseUser, password: s.clickhousePassword });
const chdb = chdbExecutor();
const database = testNamespace('analysts_doc');

async function seed(exec: SqlExecutor) {
  await migrate(exec, { database });
  await insertEvents(exec, database, market);
  for (const asOf of snapshots) await runRollup(exec, { database, asOf, settings: rollupSettings() });
}

beforeAll(async () => {
  await seed(serverExecutor(server));
  await seed(chdb);
  await chdb.command(`USE ${quoteIdentifier(database).text}`);
});

afterAll(async () => {
  assertTestNamespace(database);
  await server.command({ query: sql`DROP DATABASE IF EXISTS ${quoteIdentifier(database)}` });
  await server.close();
  chdb.close();
});

describe('docs/analysts.md', () => {
  it('has ready queries', () => {
    expect(queries.length).toBeGreaterThanOrEqual(8);
  });

  const onServer = createClient({ url: s.clickhouseUrl, username: s.clickhouseUser, password: s.clickhousePassword, database });
  afterAll(() => onServer.close());
  for (const [i, query] of queries.entries()) {
    const name = query.split('\n').find((l) => l.startsWith('FROM'))?.trim() ?? `query ${i + 1}`;
    it(`runs ready query ${i + 1} (${name}) on ClickHouse 18.16 and on current ClickHouse alike`, async () => {
      // A run's wall-clock duration is the one value the two engines need not share.
      const comparable = (rows: unknown[]) => rows.map((r) => ({ ...(r as object), duration_ms: undefined }));
      const fromServer = await (await onServer.query({ query, format: 'JSONEachRow' })).json();
      const fromChdb = await chdb.rows(query);
      expect(comparable(fromChdb)).toEqual(comparable(fromServer));
    });
  }

  it('finds the A customer who turned dormant since the previous snapshot', async () => {
    const turning = queries.find((q) => q.includes('stage_before'));
    const rows = await (await onServer.query({ query: turning ?? '', format: 'JSONEachRow' })).json();
    expect(rows).toEqual([{ lead_id: 'u:ann', company_id: '', recency_days: 192, monetary: 1000, stage_before: 'active' }]);
  });

  it('shows the segment map the rollups use', () => {
    for (const [segment, codes] of Object.entries(DEFAULT_SEGMENT_MAP)) {
      expect(doc).toContain(`| ${segment} | ${[...codes].sort().reverse().join(' ')} |`);
    }
  });
});

describe('the analyst user', () => {
  // Its refusals are what this test expects: the client need not log them too.
  const analyst = createClient({ url: s.clickhouseUrl, username: 'analyst', password: '', database, log: { level: ClickHouseLogLevel.OFF } });
  afterAll(() => analyst.close());

  it('reads the views', async () => {
    const rfm = await (await analyst.query({ query: 'SELECT lead_id, lifecycle_stage FROM lead_rfm ORDER BY lead_id', format: 'JSONEachRow' })).json();
    expect(rfm).toEqual([
      { lead_id: 'u:ann', lifecycle_stage: 'dormant' },
      { lead_id: 'u:bob', lifecycle_stage: 'new' },
      { lead_id: 'u:cy', lifecycle_stage: 'prospect' },
    ]);
    const clv = await (await analyst.query({ query: 'SELECT lead_id, x FROM lead_clv_inputs ORDER BY lead_id', format: 'JSONEachRow' })).json();
    expect(clv).toEqual([
      { lead_id: 'u:ann', x: 1 },
      { lead_id: 'u:bob', x: 0 },
    ]);
  });

  it('cannot insert, alter or drop', async () => {
    await expect(analyst.command({ query: `INSERT INTO rollup_runs (as_of) VALUES ('2026-01-01 00:00:00')` })).rejects.toThrow(/readonly|Code: 164/i);
    await expect(analyst.command({ query: 'ALTER TABLE rollup_leads DROP PARTITION ID \'1782777600\'' })).rejects.toThrow(/readonly|Code: 164/i);
    await expect(analyst.command({ query: 'DROP TABLE rollup_runs' })).rejects.toThrow(/readonly|Code: 164/i);
  });
});
