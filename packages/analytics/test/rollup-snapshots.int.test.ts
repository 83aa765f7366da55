import { afterAll, describe, expect, it } from 'vitest';
import type { SqlExecutor } from '@leadscore/clickhouse/sql';
import { rollupSettings, runRollup } from '../src/index.ts';
import { rollupEngines } from './engines.ts';
import { daysAgo, insertEvents, insertLinks, link, order, page } from './fixture.ts';

/** Snapshots as analysts rely on them: reproducible, replaced whole on a rerun, kept for past reference times. */
const T = new Date('2026-06-30T12:00:00Z');
const EARLIER = new Date('2026-05-31T12:00:00Z');
const settings = rollupSettings({ timeZone: 'Europe/Berlin', rates: { EUR: 1.1 } });
const setup = rollupEngines();
afterAll(() => setup.close());

const market = [
  order('a:v1', daysAgo(T, 40), 120, 'EUR', 'o1'),
  page('a:v1', daysAgo(T, 39)),
  order('u:amy', daysAgo(T, 20), 300, 'USD', 'o2'),
  order('u:bo', daysAgo(T, 90), 50, 'USD', 'o3'),
  order('u:bo', daysAgo(T, 10), 70, 'USD', 'o4'),
  page('u:cy', daysAgo(T, 5)),
];

async function seeded(exec: SqlExecutor, label: string) {
  const db = await setup.database(exec, label);
  await insertEvents(exec, db, market);
  await insertLinks(exec, db, [link('a:v1', 'u:amy', daysAgo(T, 30))]);
  return db;
}

const leadsOf = (exec: SqlExecutor, db: string, asOf = '2026-06-30 12:00:00') =>
  exec.rows(`SELECT * FROM \`${db}\`.rollup_leads WHERE as_of = '${asOf}' ORDER BY lead_id`);
const ordersOf = (exec: SqlExecutor, db: string) => exec.rows(`SELECT * FROM \`${db}\`.rollup_orders WHERE as_of = '2026-06-30 12:00:00' ORDER BY order_id`);

for (const [engine, exec] of Object.entries(setup.engines)) {
  describe(`rollup snapshots on ${engine}`, () => {
    it('gives the same rows, and no more of them, when run again for the same reference time', async () => {
      const db = await seeded(exec(), 'rerun');
      await runRollup(exec(), { database: db, asOf: T, settings });
      const first = { leads: await leadsOf(exec(), db), orders: await ordersOf(exec(), db) };
      await runRollup(exec(), { database: db, asOf: T, settings });
      expect({ leads: await leadsOf(exec(), db), orders: await ordersOf(exec(), db) }).toEqual(first);
      expect(first.leads).toHaveLength(3);
      const [runs] = await exec().rows<{ n: string }>(`SELECT count() AS n FROM \`${db}\`.rollup_runs FINAL`);
      expect(runs?.n).toBe('1');
    });

    it('ignores events and identity links after the reference time', async () => {
      const db = await seeded(exec(), 'later');
      await runRollup(exec(), { database: db, asOf: T, settings });
      const before = await leadsOf(exec(), db);
      const later = daysAgo(T, -1);
      await insertEvents(exec(), db, [order('u:cy', later, 999, 'USD', 'o9'), order('a:v2', daysAgo(T, 3), 10, 'USD', 'o10'), page('u:amy', later, { type: 'group', event: '', group_id: 'late-co' })]);
      await insertLinks(exec(), db, [link('a:v2', 'u:cy', later)]);
      await runRollup(exec(), { database: db, asOf: T, settings });
      expect(await leadsOf(exec(), db)).toEqual(before);
    });

    it('keeps past snapshots queryable while the views show the latest reference time', async () => {
      const db = await seeded(exec(), 'history');
      await runRollup(exec(), { database: db, asOf: T, settings });
      await runRollup(exec(), { database: db, asOf: EARLIER, settings });
      const views = await exec().rows<{ computed_at: string }>(`SELECT DISTINCT computed_at FROM \`${db}\`.lead_rfm`);
      expect(views).toEqual([{ computed_at: '2026-06-30 12:00:00' }]);
      // A month earlier amy had only her visitor's order (linked to her that morning), bo his first, and cy had not been
      // seen.
      const past = await exec().rows<{ lead_id: string; frequency: number }>(
        `SELECT lead_id, frequency FROM \`${db}\`.rollup_leads WHERE as_of = '2026-05-31 12:00:00' ORDER BY lead_id`,
      );
      expect(past).toEqual([
        { lead_id: 'u:amy', frequency: 1 },
        { lead_id: 'u:bo', frequency: 1 },
      ]);
    });

    it('is not disturbed by what a stopped run left in the staging tables', async () => {
      const db = await seeded(exec(), 'leftover');
      await runRollup(exec(), { database: db, asOf: T, settings });
      const clean = await leadsOf(exec(), db);
      await exec().command(`INSERT INTO \`${db}\`.rollup_leads_staging (as_of, lead_id, lifecycle_stage) VALUES ('2026-06-30 12:00:00', 'u:ghost', 'new')`);
      await exec().command(`INSERT INTO \`${db}\`.rollup_orders_staging (as_of, order_id, lead_id, counted) VALUES ('2026-06-30 12:00:00', 'o-ghost', 'u:amy', 1)`);
      await runRollup(exec(), { database: db, asOf: T, settings });
      expect(await leadsOf(exec(), db)).toEqual(clean);
      const [staged] = await exec().rows<{ n: string }>(`SELECT count() AS n FROM \`${db}\`.rollup_leads_staging`);
      expect(staged?.n).toBe('0');
    });
  });
}
