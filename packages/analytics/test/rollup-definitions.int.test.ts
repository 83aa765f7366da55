import { afterAll, describe, expect, it } from 'vitest';
import type { SqlExecutor } from '@leadscore/clickhouse/sql';
import { rollupSettings, runRollup, type RollupSettings } from '../src/index.ts';
import { rollupEngines } from './engines.ts';
import { daysAgo, insertEvents, insertLinks, insertMerges, link, order, page, refund, type EventRow } from './fixture.ts';

/**
 * The published definitions, checked column by column against values worked out by hand (the reasoning is beside
 * each fixture), on ClickHouse 18.16 and on current ClickHouse. Reference time: 2026-06-30 12:00 UTC, days counted in
 * Asia/Shanghai (20:00 there), so the reference day is 2026-06-30.
 */
const T = new Date('2026-06-30T12:00:00Z');
const ago = (days: number, hourUtc?: number) => daysAgo(T, days, hourUtc);
const settings: RollupSettings = rollupSettings({ timeZone: 'Asia/Shanghai', rates: { EUR: 1.1 }, freeMailDomains: ['gmail.com', 'qq.com'] });

const setup = rollupEngines();
afterAll(() => setup.close());

const q = (db: string, what: string) => what.replaceAll('$db', `\`${db}\``);

async function snapshot(exec: SqlExecutor, label: string, events: readonly EventRow[], links: Parameters<typeof insertLinks>[2] = []) {
  const db = await setup.database(exec, label);
  await insertEvents(exec, db, events);
  await insertLinks(exec, db, links);
  const result = await runRollup(exec, { database: db, asOf: T, settings });
  const rfm = await exec.rows<Record<string, unknown>>(q(db, 'SELECT * FROM $db.lead_rfm ORDER BY lead_id'));
  const clv = await exec.rows<Record<string, unknown>>(q(db, 'SELECT * FROM $db.lead_clv_inputs ORDER BY lead_id'));
  return { db, result, rfm, clv };
}

/** One row of lead_rfm, as a line of the table: recency, frequency, monetary, R F M, segment, stage, class. */
type Expected = readonly [lead: string, company: string, recency: number | null, f: number, m: number, r: number | null, fs: number | null, ms: number | null, segment: string | null, stage: string, abc: string | null];
const rfmRow = ([lead_id, company_id, recency_days, frequency, monetary, r_score, f_score, m_score, rfm_segment, lifecycle_stage, abc_class]: Expected) => ({
  lead_id,
  company_id,
  recency_days,
  frequency,
  monetary,
  r_score,
  f_score,
  m_score,
  rfm_segment,
  lifecycle_stage,
  abc_class,
  computed_at: '2026-06-30 12:00:00',
});
type ExpectedClv = readonly [lead: string, x: number, t_x: number, T: number, mean: number];
const clvRow = ([lead_id, x, t_x, T_, mean_repeat_value]: ExpectedClv) => ({ lead_id, as_of: '2026-06-30 12:00:00', x, t_x, T: T_, mean_repeat_value });

/**
 * Eleven buyers, every order inside the 365-day window on its own day, so recency, frequency and monetary are each 11
 * distinct values. Without ties the mid-rank quintiles give ranks 0–10 the scores 1 1 2 2 3 3 3 4 4 5 5, and the
 * buyers are placed so that each lands in a different one of the 11 segments.
 */
function elevenSegments(): EventRow[] {
  const orders = (lead: string, list: readonly (readonly [days: number, amount: number])[]) => list.map(([d, amount]) => order(lead, ago(d), amount));
  const every = (from: number, step: number, n: number, amount: number) => Array.from({ length: n }, (_, i) => [from + i * step, amount] as const);
  return [
    // recency 1, F 10, M 5000 (10 × 500)
    ...orders('u:champ', every(1, 30, 10, 500)),
    // recency 3, F 8, M 1500 (8 × 187.5)
    ...orders('u:loyal', every(3, 30, 8, 187.5)),
    // recency 10, F 11, M 1600: 100 on its first day (110 days ago), then 10 × 150
    ...orders('u:potential', [[110, 100], ...every(10, 10, 10, 150)]),
    // recency 20, F 3, M 800: 300 fifty days ago, 300 thirty days ago, 200 twenty days ago
    ...orders('u:new', [[50, 300], [30, 300], [20, 200]]),
    // recency 40, F 1, M 6000
    ...orders('u:promising', [[40, 6000]]),
    // recency 60, F 9, M 1700: 100 on its first day (140 days ago), then 8 × 200
    ...orders('u:attention', [[140, 100], ...every(60, 10, 8, 200)]),
    // recency 80, F 5, M 100 (5 × 20)
    ...orders('u:sleepy', every(80, 10, 5, 20)),
    // recency 150, F 6, M 3000 (6 × 500)
    ...orders('u:risk', every(150, 10, 6, 500)),
    // recency 200, F 2, M 4000 (2000 two hundred and sixty days ago, 2000 two hundred days ago)
    ...orders('u:cantlose', [[260, 2000], [200, 2000]]),
    // recency 250, F 7, M 900: 300 on its first day (310 days ago), then 6 × 100
    ...orders('u:hibernating', [[310, 300], ...every(250, 10, 6, 100)]),
    // recency 300, F 4, M 200 (4 × 50)
    ...orders('u:lost', every(300, 10, 4, 50)),
  ];
}

/**
 * A market of money and identity cases (rates: EUR 1.1 USD, JPY none):
 *   ann  ordered 100 USD as a visitor 100 days ago (the order sent twice under two message ids) and 50 USD as herself
 *        the same day, then 80 EUR (88 USD, its row inserted twice) 10 days ago; her visitor was linked to her 5 days
 *        ago, and the visitor's group call names her company. An event after the reference time names another.
 *   ben  200 USD 50 days ago refunded 50 (the refund's row inserted twice: net 150), and 100 USD 20 days ago refunded
 *        in full (not a purchase); a refund after the reference time is ignored.
 *   fay  150 USD 50 days ago: ties ben in recency and monetary.
 *   jo   40 USD at 01:00 today in Shanghai (17:00 UTC yesterday): recency 0.
 *   dan  300 USD 400 days ago (outside the window: F 0, M 0), a page view 30 days ago: dormant by activity.
 *   eve  100 USD 500 days ago; only a bot's page view since: churned.
 *   cat  5000 JPY (no rate: left out, counted in the summary): a prospect.
 *   gus  a provisional email lead; company from his email's domain.
 *   hal  a group call, then an email at a free-mail domain (no company from it): company stays the group.
 *   ivy  a page view 3 days ago; her visitor's 70 USD order 5 days ago was linked to her only after the reference
 *        time, so it is an anonymous order in this snapshot.
 *   A refund of an order nobody placed is counted as unmatched.
 */
function moneyAndIdentity() {
  const annFirst = order('a:v-ann', ago(100, 2), 100, 'USD', 'o-a1');
  const annEur = order('u:ann', ago(10), 80, 'EUR', 'o-a3');
  const benPartial = refund('u:ben', ago(45), 'o-b1', 50);
  const events = [
    page('a:v-ann', ago(120), { type: 'group', event: '', group_id: 'ann-co' }),
    annFirst,
    order('a:v-ann', ago(100, 3), 100, 'USD', 'o-a1'),
    order('u:ann', ago(100, 5), 50, 'USD', 'o-a2'),
    annEur,
    annEur,
    page('u:ann', ago(-1), { type: 'group', event: '', group_id: 'later-co' }),
    order('u:ben', ago(50), 200, 'USD', 'o-b1'),
    benPartial,
    benPartial,
    order('u:ben', ago(20), 100, 'USD', 'o-b2'),
    refund('u:ben', ago(19), 'o-b2', 100),
    refund('u:ben', ago(-1), 'o-b1', 150),
    order('u:fay', ago(50, 9), 150, 'USD', 'o-f1'),
    order('u:jo', '2026-06-29T17:00:00Z', 40, 'USD', 'o-j1'),
    order('u:dan', ago(400), 300),
    page('u:dan', ago(30)),
    order('u:eve', ago(500), 100),
    page('u:eve', ago(10), { flags: ['bot'] }),
    order('u:cat', ago(30), 5000, 'JPY', 'o-c1'),
    page('e:gus@acme.test', ago(7), { email: 'gus@acme.test' }),
    page('u:hal', ago(20), { type: 'group', event: '', group_id: 'acme-co' }),
    page('u:hal', ago(10), { type: 'identify', event: '', email: 'hal@gmail.com' }),
    page('u:ivy', ago(3)),
    order('a:v-ivy', ago(5), 70, 'USD', 'o-i1'),
    refund('u:ben', ago(8), 'o-nobody', 10),
  ];
  const links = [link('a:v-ann', 'u:ann', ago(5)), link('a:v-ivy', 'u:ivy', ago(-1))];
  return { events, links };
}

for (const [engine, exec] of Object.entries(setup.engines)) {
  describe(`lead rollups on ${engine}`, () => {
    it('scores eleven buyers into the eleven segments, with lifecycle stage and ABC class', async () => {
      const { rfm } = await snapshot(exec(), 'segments', elevenSegments());
      // ABC: net revenue 24,800 in all; the share of buyers above each: promising 0, champ .24, cantlose .44, risk .60,
      // attention .73, potential .79 (A: under .80); loyal .86, hibernating .92 (B: under .95); new, lost, sleepy (C).
      const expected: Expected[] = [
        ['u:attention', '', 60, 9, 1700, 3, 4, 3, 'Need attention', 'active', 'A'],
        ['u:cantlose', '', 200, 2, 4000, 2, 1, 4, "Can't lose", 'dormant', 'A'],
        ['u:champ', '', 1, 10, 5000, 5, 5, 5, 'Champions', 'active', 'A'],
        ['u:hibernating', '', 250, 7, 900, 1, 3, 2, 'Hibernating', 'dormant', 'B'],
        ['u:lost', '', 300, 4, 200, 1, 2, 1, 'Lost', 'dormant', 'C'],
        ['u:loyal', '', 3, 8, 1500, 5, 4, 3, 'Loyal', 'active', 'B'],
        ['u:new', '', 20, 3, 800, 4, 2, 2, 'New', 'new', 'C'],
        ['u:potential', '', 10, 11, 1600, 4, 5, 3, 'Potential loyalist', 'active', 'A'],
        ['u:promising', '', 40, 1, 6000, 3, 1, 5, 'Promising', 'new', 'A'],
        ['u:risk', '', 150, 6, 3000, 2, 3, 4, 'At risk', 'active', 'A'],
        ['u:sleepy', '', 80, 5, 100, 3, 3, 1, 'About to sleep', 'active', 'C'],
      ];
      expect(rfm).toEqual(expected.map(rfmRow));
    });

    it('gives each buyer the lifetime-value inputs of Fader and Hardie', async () => {
      const { clv } = await snapshot(exec(), 'clv', elevenSegments());
      // x repeat days, t_x first to last purchase day, T first purchase day to the reference day, mean of the repeat
      // days' values (the first day left out).
      const expected: ExpectedClv[] = [
        ['u:attention', 8, 80, 140, 200],
        ['u:cantlose', 1, 60, 260, 2000],
        ['u:champ', 9, 270, 271, 500],
        ['u:hibernating', 6, 60, 310, 100],
        ['u:lost', 3, 30, 330, 50],
        ['u:loyal', 7, 210, 213, 187.5],
        ['u:new', 2, 30, 50, 250],
        ['u:potential', 10, 100, 110, 150],
        ['u:promising', 0, 0, 40, 0],
        ['u:risk', 5, 50, 200, 500],
        ['u:sleepy', 4, 40, 120, 20],
      ];
      expect(clv).toEqual(expected.map(clvRow));
    });

    it('counts orders once, nets refunds, converts currencies and resolves leads as of the reference time', async () => {
      const { events, links } = moneyAndIdentity();
      const { rfm } = await snapshot(exec(), 'money', events, links);
      // Buyers: ann, ben, fay, jo, dan, eve (n = 6). Score = 1 + ⌊5 (2·below + equal) / 12⌋.
      //   recency: eve 500 → 1, dan 400 → 2, ben = fay 50 → 3 (tied), ann 10 → 4, jo 0 → 5
      //   frequency: dan = eve 0 → 1, ben = fay = jo 1 → 3, ann 3 → 5
      //   monetary: dan = eve 0 → 1, jo 40 → 3, ben = fay 150 → 4, ann 238 (100 + 50 + 88) → 5
      // ABC of 578: ann above 0 → A, ben and fay above 238 (.41) → A, jo above 538 (.93) → B, dan and eve (0) → C.
      const expected: Expected[] = [
        ['e:gus@acme.test', 'domain:acme.test', null, 0, 0, null, null, null, null, 'prospect', null],
        ['u:ann', 'ann-co', 10, 3, 238, 4, 5, 5, 'Champions', 'active', 'A'],
        ['u:ben', '', 50, 1, 150, 3, 3, 4, 'Need attention', 'new', 'A'],
        ['u:cat', '', null, 0, 0, null, null, null, null, 'prospect', null],
        ['u:dan', '', 400, 0, 0, 2, 1, 1, 'Hibernating', 'dormant', 'C'],
        ['u:eve', '', 500, 0, 0, 1, 1, 1, 'Lost', 'churned', 'C'],
        ['u:fay', '', 50, 1, 150, 3, 3, 4, 'Need attention', 'new', 'A'],
        ['u:hal', 'acme-co', null, 0, 0, null, null, null, null, 'prospect', null],
        ['u:ivy', '', null, 0, 0, null, null, null, null, 'prospect', null],
        ['u:jo', '', 0, 1, 40, 5, 3, 3, 'Potential loyalist', 'new', 'B'],
      ];
      expect(rfm).toEqual(expected.map(rfmRow));
    });

    it('merges the orders of one day and leaves a buyer without repeats at x = 0 in the lifetime-value inputs', async () => {
      const { events, links } = moneyAndIdentity();
      const { clv } = await snapshot(exec(), 'money_clv', events, links);
      const expected: ExpectedClv[] = [
        // 100 and 50 USD on one day (150), then 88 ninety days later
        ['u:ann', 1, 90, 100, 88],
        ['u:ben', 0, 0, 50, 0],
        ['u:dan', 0, 0, 400, 0],
        ['u:eve', 0, 0, 500, 0],
        ['u:fay', 0, 0, 50, 0],
        ['u:jo', 0, 0, 0, 0],
      ];
      expect(clv).toEqual(expected.map(clvRow));
    });

    it('summarises what the snapshot counted and left out, per currency', async () => {
      const { events, links } = moneyAndIdentity();
      const { result, db } = await snapshot(exec(), 'money_summary', events, links);
      expect(result.summary).toMatchObject({
        leads: 10,
        buyers: 6,
        orders: 8,
        revenue: 578,
        reportingCurrency: 'USD',
        unrated: [{ currency: 'JPY', orders: 1, amount: 5000 }],
        anonymousOrders: 1,
        refundedOrders: 1,
        unratedRefunds: 0,
        unmatchedRefunds: 1,
      });
      const [run] = await exec().rows<Record<string, unknown>>(q(db, 'SELECT leads, buyers, orders, unrated_currencies, unrated_orders, unrated_amounts, unmatched_refunds FROM $db.rollup_runs FINAL'));
      expect(run).toEqual({ leads: '10', buyers: '6', orders: '8', unrated_currencies: ['JPY'], unrated_orders: ['1'], unrated_amounts: [5000], unmatched_refunds: '1' });
    });

    it('counts a user merged by hand as its lead, from a merge made by the reference time only', async () => {
      const db = await setup.database(exec(), 'merged');
      await insertEvents(exec(), db, [order('u:ann', ago(12), 100), order('u:ann-crm', ago(40), 50), order('u:bo', ago(20), 70), order('u:bo-old', ago(30), 30)]);
      // ann-crm is ann since 5 days ago; bo-old becomes bo only tomorrow.
      await insertMerges(exec(), db, [
        { lead: 'u:ann-crm', merged_into: 'u:ann', merged_at: ago(5) },
        { lead: 'u:bo-old', merged_into: 'u:bo', merged_at: ago(-1) },
      ]);
      await runRollup(exec(), { database: db, asOf: T, settings });
      const rows = await exec().rows<{ lead_id: string; frequency: number; monetary: number }>(q(db, 'SELECT lead_id, frequency, monetary FROM $db.lead_rfm ORDER BY lead_id'));
      expect(rows.map((r) => [r.lead_id, Number(r.frequency), Number(r.monetary)])).toEqual([
        ['u:ann', 2, 150],
        ['u:bo', 1, 70],
        ['u:bo-old', 1, 30],
      ]);
    });

    it('scores a single buyer in the middle: 3 3 3', async () => {
      const { rfm, clv } = await snapshot(exec(), 'single', [order('u:only', ago(12), 99), page('u:other', ago(2))]);
      expect(rfm).toEqual([rfmRow(['u:only', '', 12, 1, 99, 3, 3, 3, 'Potential loyalist', 'new', 'A']), rfmRow(['u:other', '', null, 0, 0, null, null, null, null, 'prospect', null])]);
      expect(clv).toEqual([clvRow(['u:only', 0, 0, 12, 0])]);
    });
  });
}
