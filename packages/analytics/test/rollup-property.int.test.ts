import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { rollupSettings, runRollup } from '../src/index.ts';
import { rollupEngines } from './engines.ts';
import { daysAgo, insertEvents, order, type EventRow } from './fixture.ts';

/**
 * The scoring rules as a property against real ClickHouse (18.16 here): for any buyers — with many ties, since amounts
 * and days come from small sets — the scores, classes and stages equal what the written definitions give, and the
 * rows do not depend on the order in which the events were inserted (each run inserts them shuffled, some twice).
 * The oracle below is the docs' wording, in a few lines, for this test only.
 * PROPERTY_RUNS (default 10) and PROPERTY_SEED as in the ingest property test.
 */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 10);
const SEED = process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED);
const T = new Date('2026-06-30T12:00:00Z');
const settings = rollupSettings({ timeZone: 'UTC', windowDays: 365 });

const setup = rollupEngines();
afterAll(() => setup.close());

interface Order {
  readonly lead: number;
  readonly daysAgo: number;
  readonly amount: number;
}

/** Scores by mid-rank quintile: 1 + ⌊5 (below + equal/2) / n⌋, where `key` is larger for better values. */
function score<V>(values: readonly V[], value: V, key: (v: V) => number): number {
  const k = key(value);
  const below = values.filter((v) => key(v) < k).length;
  const equal = values.filter((v) => key(v) === k).length;
  return Math.min(5, 1 + Math.floor((5 * (2 * below + equal)) / (2 * values.length)));
}

function oracle(orders: readonly Order[]) {
  const byLead = new Map<number, Order[]>();
  for (const o of orders) byLead.set(o.lead, [...(byLead.get(o.lead) ?? []), o]);
  const buyers = [...byLead].map(([lead, list]) => {
    const inWindow = list.filter((o) => o.daysAgo < settings.windowDays);
    return {
      lead: `u:p${lead}`,
      recency: Math.min(...list.map((o) => o.daysAgo)),
      first: Math.max(...list.map((o) => o.daysAgo)),
      frequency: inWindow.length,
      monetary: inWindow.reduce((s, o) => s + o.amount, 0),
    };
  });
  const total = buyers.reduce((s, b) => s + Math.max(0, b.monetary), 0);
  return buyers
    .map((b) => {
      const above = buyers.filter((o) => o.monetary > b.monetary).reduce((s, o) => s + o.monetary, 0);
      const abc = b.monetary <= 0 || total <= 0 ? 'C' : above / total < settings.abc.a ? 'A' : above / total < settings.abc.b ? 'B' : 'C';
      // Every event here is an order, so the latest activity is the latest order.
      const stage = b.first < settings.newDays ? 'new' : b.recency < settings.activeDays ? 'active' : b.recency < settings.dormantDays ? 'dormant' : 'churned';
      return {
        lead_id: b.lead,
        recency_days: b.recency,
        frequency: b.frequency,
        monetary: b.monetary,
        r_score: score(buyers, b, (x) => -x.recency),
        f_score: score(buyers, b, (x) => x.frequency),
        m_score: score(buyers, b, (x) => x.monetary),
        lifecycle_stage: stage,
        abc_class: abc,
      };
    })
    .sort((a, b) => a.lead_id.localeCompare(b.lead_id));
}

const orderArb = fc.record({
  lead: fc.integer({ min: 0, max: 24 }),
  daysAgo: fc.constantFrom(0, 1, 7, 30, 89, 90, 179, 180, 364, 365, 400),
  amount: fc.constantFrom(0, 10, 25, 25, 100, 1000),
});

describe('lead rollup scores on ClickHouse 18.16', () => {
  it('equal the written definitions for any buyers, whatever the order and repetition of the inserts', async () => {
    const exec = setup.engines['ClickHouse 18.16 server']();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(orderArb, { minLength: 1, maxLength: 40 }), fc.func(fc.integer()), fc.array(fc.nat(), { maxLength: 5 }), async (orders, shuffleKey, twice) => {
        const db = await setup.database(exec, `property_${run++}`);
        const rows: EventRow[] = orders.map((o, i) => order(`u:p${o.lead}`, daysAgo(T, o.daysAgo), o.amount, 'USD', `o${i}`));
        const shuffled = [...rows].sort((a, b) => shuffleKey(a.message_id) - shuffleKey(b.message_id));
        const repeated = twice.flatMap((i) => (shuffled.length > 0 ? [shuffled[i % shuffled.length] as EventRow] : []));
        await insertEvents(exec, db, shuffled);
        await insertEvents(exec, db, repeated);
        await runRollup(exec, { database: db, asOf: T, settings });
        const got = await exec.rows(
          `SELECT lead_id, recency_days, frequency, monetary, r_score, f_score, m_score, lifecycle_stage, abc_class FROM \`${db}\`.lead_rfm ORDER BY lead_id`,
        );
        expect(got).toEqual(oracle(orders));
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
  });
});
