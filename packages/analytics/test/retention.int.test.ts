import { afterAll, describe, expect, it } from 'vitest';
import type { SqlExecutor } from '@leadscore/clickhouse/sql';
import { applyRetention } from '../src/index.ts';
import { rollupEngines } from './engines.ts';
import { insertEvents, order, page, refund } from './fixture.ts';

/** Old month partitions dropped, orders and refunds kept at any age, on ClickHouse 18.16 and current ClickHouse. */
const setup = rollupEngines();
afterAll(() => setup.close());
const NOW = new Date('2026-06-30T12:00:00Z');

for (const [engine, exec] of Object.entries(setup.engines) as [string, () => SqlExecutor][]) {
  describe(`retention on ${engine}`, () => {
    it('drops months older than the retention but their orders and refunds, and is idempotent', async () => {
      const db = await setup.database(exec(), 'retention');
      await insertEvents(exec(), db, [
        page('u:ann', '2025-01-10T10:00:00Z', { message_id: 'old-page' }),
        order('u:ann', '2025-01-11T10:00:00Z', 100, 'USD', 'o-1', { message_id: 'old-order' }),
        refund('u:ann', '2025-01-12T10:00:00Z', 'o-1', 20),
        page('u:bo', '2025-02-10T10:00:00Z', { message_id: 'old-page-2' }),
        page('u:ann', '2026-05-10T10:00:00Z', { message_id: 'recent-page' }),
      ]);
      const first = await applyRetention(exec(), db, 3, NOW);
      expect(first.cutoff).toBe(202604);
      expect(first.rowsRemoved).toBe(4);
      const left = async (table: string) => (await exec().rows<{ message_id: string }>(`SELECT message_id FROM \`${db}\`.${table} ORDER BY message_id`)).map((r) => r.message_id);
      const events = await left('events');
      expect(events).toContain('old-order');
      expect(events).toContain('recent-page');
      expect(events).not.toContain('old-page');
      expect(events).not.toContain('old-page-2');
      expect(events).toHaveLength(3);
      expect(await left('events_by_profile')).toEqual(events);
      expect((await applyRetention(exec(), db, 3, NOW)).steps).toEqual([]);
    });

    it('keeps everything at 0 months', async () => {
      const db = await setup.database(exec(), 'retention_all');
      await insertEvents(exec(), db, [page('u:ann', '2020-01-10T10:00:00Z')]);
      expect((await applyRetention(exec(), db, 0, NOW)).steps).toEqual([]);
    });
  });
}
