import { afterAll, describe, expect, it } from 'vitest';
import { rollupSettings, runRollup } from '../src/index.ts';
import { rollupEngines } from './engines.ts';
import { insertEvents, insertLinks, link, order, page, refund } from './fixture.ts';

const setup = rollupEngines();
afterAll(() => setup.close());

for (const [name, engine] of Object.entries(setup.engines)) {
  describe(name, () => {
    it('runs', async () => {
      const exec = engine();
      const db = await setup.database(exec, 'smoke');
      await insertEvents(exec, db, [page('a:v1', '2026-01-01T10:00:00Z'), order('a:v1', '2026-01-02T10:00:00Z', 100, 'USD', 'o1'), order('u:bob', '2026-03-01T10:00:00Z', 50, 'EUR', 'o2'), refund('u:x', '2026-03-02T00:00:00Z', 'o2', 10, 'EUR'), order('u:cy', '2026-03-01T10:00:00Z', 70, 'JPY')]);
      await insertLinks(exec, db, [link('a:v1', 'u:ann', '2026-01-03T00:00:00Z')]);
      const result = await runRollup(exec, { database: db, asOf: new Date('2026-06-30T12:00:00Z'), settings: rollupSettings({ rates: { EUR: 1.1 } }) });
      console.log(JSON.stringify(result, null, 1));
      console.log(await exec.rows(`SELECT * FROM ${db}.lead_rfm`));
      console.log(await exec.rows(`SELECT * FROM ${db}.lead_clv_inputs`));
      expect(result.summary.leads).toBe(3);
    });
  });
}
