import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { rollupSettings, runRollup } from '../src/index.ts';
import { rollupEngines } from './engines.ts';
import { insertEvents, order } from './fixture.ts';

/**
 * lead_clv_inputs against the Python `lifetimes` package's summary_data_from_transaction_data (freq 'D', with a
 * monetary column) on a generated set of transactions. The fixture holds both the transactions and lifetimes' answers;
 * scripts/analytics/clv-crosscheck.py made it and can make it again.
 */
interface Fixture {
  readonly observationPeriodEnd: string;
  readonly transactions: readonly { customer: string; date: string; value: number }[];
  readonly expected: readonly { customer: string; x: number; t_x: number; T: number; mean_repeat_value: number }[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/clv-lifetimes.json', import.meta.url), 'utf8')) as Fixture;

const setup = rollupEngines();
afterAll(() => setup.close());

for (const [engine, exec] of Object.entries(setup.engines)) {
  describe(`lifetime-value inputs on ${engine}`, () => {
    it(`match lifetimes for ${fixture.expected.length} customers and ${fixture.transactions.length} transactions`, async () => {
      const db = await setup.database(exec(), 'lifetimes');
      await insertEvents(exec(), db, fixture.transactions.map((t) => order(`u:${t.customer}`, `${t.date}T12:00:00Z`, t.value)));
      // lifetimes counts transactions on the observation period's last day: the reference time is that day's end.
      await runRollup(exec(), { database: db, asOf: new Date(`${fixture.observationPeriodEnd}T23:59:59Z`), settings: rollupSettings({ windowDays: 36_500 }) });
      const rows = await exec().rows<{ lead_id: string; x: number; t_x: number; T: number; mean_repeat_value: number }>(
        `SELECT lead_id, x, t_x, T, mean_repeat_value FROM \`${db}\`.lead_clv_inputs ORDER BY lead_id`,
      );
      expect(rows.map((r) => ({ customer: r.lead_id.slice(2), x: r.x, t_x: r.t_x, T: r.T }))).toEqual(fixture.expected.map(({ mean_repeat_value: _, ...rest }) => rest));
      for (const [i, want] of fixture.expected.entries()) expect(rows[i]?.mean_repeat_value, want.customer).toBeCloseTo(want.mean_repeat_value, 6);
    });
  });
}
