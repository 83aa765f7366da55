import { afterAll, describe, expect, it } from 'vitest';
import { rollupSettings, runRollup } from '../src/index.ts';
import { rollupEngines } from './engines.ts';
import { daysAgo, insertEvents, order, page } from './fixture.ts';

/**
 * Companies and how the base moved, against values worked out by hand, on ClickHouse 18.16 and current ClickHouse.
 */
const T = new Date('2026-06-30T12:00:00Z');
const ago = (days: number, hourUtc?: number) => daysAgo(T, days, hourUtc);
const settings = rollupSettings({ freeMailDomains: ['gmail.com'] });
const setup = rollupEngines();
afterAll(() => setup.close());

const member = (lead: string, company: string, days: number) => page(lead, ago(days), { type: 'group', event: '', group_id: company });

/**
 *   acme   a1 and a2; a1 ordered o1 (300) ten days ago and a2 sent the same order id an hour later (one order, a1's);
 *          a2 ordered o2 (200) a hundred days ago: recency 10, F 2, M 500, both buyers.
 *   beta   b1 by her email's domain (b1@beta.test); 50 two hundred days ago: recency 200, F 1, M 50.
 *   solo   one member; 1000 four hundred days ago (outside the window: F 0, M 0), nothing since: churned.
 *   nobuy  two members who never bought: prospect, no scores.
 * Three buying companies: R solo 1, beta 3, acme 5; F and M the same order: codes 555, 333, 111.
 * ABC of 550: acme above 0 (A), beta above 500 (.91, B), solo 0 (C).
 */
const market = [
  member('u:a1', 'acme', 300),
  member('u:a2', 'acme', 300),
  order('u:a1', ago(10, 3), 300, 'USD', 'o1'),
  order('u:a2', ago(10, 4), 300, 'USD', 'o1'),
  order('u:a2', ago(100), 200, 'USD', 'o2'),
  page('u:b1', ago(250), { type: 'identify', event: '', email: 'b1@beta.test' }),
  order('u:b1', ago(200), 50, 'USD', 'o3'),
  member('u:s1', 'solo', 500),
  order('u:s1', ago(400), 1000, 'USD', 'o4'),
  member('u:n1', 'nobuy', 20),
  member('u:n2', 'nobuy', 30),
  page('u:free', ago(5), { type: 'identify', event: '', email: 'free@gmail.com' }),
];

const companyRow = (...[company_id, recency_days, frequency, monetary, r_score, f_score, m_score, rfm_segment, lifecycle_stage, abc_class, buyers, known_leads]: readonly [
  string, number | null, number, number, number | null, number | null, number | null, string | null, string, string | null, number, number,
]) => ({ company_id, recency_days, frequency, monetary, r_score, f_score, m_score, rfm_segment, lifecycle_stage, abc_class, computed_at: '2026-06-30 12:00:00', buyers, known_leads });

/**
 * Three snapshots of four leads:
 *   p  bought 100 on 2026-02-20: new on 03-01, active on 06-30 and 07-15.
 *   q  only browses: a prospect throughout.
 *   r  bought 200 on 2025-06-01: dormant on 03-01, churned on 06-30.
 *   s  first seen in May: not in the first snapshot.
 * Segments (two buyers each time): on 03-01 p 432 Potential loyalist, r 234 At risk; on 06-30 p 444 Loyal, r 222 Hibernating.
 */
const moves = [order('u:p', '2026-02-20T10:00:00Z', 100), page('u:q', '2026-01-10T10:00:00Z'), order('u:r', '2025-06-01T10:00:00Z', 200), page('u:s', '2026-05-01T10:00:00Z')];
const [MARCH, JUNE, JULY] = [new Date('2026-03-01T00:00:00Z'), new Date('2026-06-30T00:00:00Z'), new Date('2026-07-15T00:00:00Z')];

for (const [engine, exec] of Object.entries(setup.engines)) {
  describe(`company rollups on ${engine}`, () => {
    it('scores companies from their members\' orders, each order once, with buyers and known leads', async () => {
      const db = await setup.database(exec(), 'companies');
      await insertEvents(exec(), db, market);
      const { summary } = await runRollup(exec(), { database: db, asOf: T, settings });
      expect(await exec().rows(`SELECT * FROM \`${db}\`.company_rfm ORDER BY company_id`)).toEqual([
        companyRow('acme', 10, 2, 500, 5, 5, 5, 'Champions', 'active', 'A', 2, 2),
        companyRow('domain:beta.test', 200, 1, 50, 3, 3, 3, 'Potential loyalist', 'dormant', 'B', 1, 1),
        companyRow('nobuy', null, 0, 0, null, null, null, null, 'prospect', null, 0, 2),
        companyRow('solo', 400, 0, 0, 1, 1, 1, 'Lost', 'churned', 'C', 1, 1),
      ]);
      expect(summary).toMatchObject({ companies: 4, buyingCompanies: 3, orders: 4 });
    });
  });

  describe(`how the base moved, on ${engine}`, () => {
    it('counts stage and segment transitions between consecutive snapshots', async () => {
      const db = await setup.database(exec(), 'moves');
      await insertEvents(exec(), db, moves);
      for (const asOf of [MARCH, JUNE]) await runRollup(exec(), { database: db, asOf, settings });
      const transitions = await exec().rows(
        `SELECT from_stage, to_stage, from_segment, to_segment, count FROM \`${db}\`.rollup_transitions WHERE entity = 'lead' AND to_as_of = '2026-06-30 00:00:00' ORDER BY to_stage, ifNull(from_stage, '')`,
      );
      expect(transitions).toEqual([
        { from_stage: 'new', to_stage: 'active', from_segment: 'Potential loyalist', to_segment: 'Loyal', count: '1' },
        { from_stage: 'dormant', to_stage: 'churned', from_segment: 'At risk', to_segment: 'Hibernating', count: '1' },
        { from_stage: null, to_stage: 'prospect', from_segment: null, to_segment: null, count: '1' },
        { from_stage: 'prospect', to_stage: 'prospect', from_segment: null, to_segment: null, count: '1' },
      ]);
    });

    it('keeps the stage and segment before the last change, and when it was, while nothing changes', async () => {
      const db = await setup.database(exec(), 'history');
      await insertEvents(exec(), db, moves);
      for (const asOf of [MARCH, JUNE, JULY]) await runRollup(exec(), { database: db, asOf, settings });
      const history = await exec().rows(
        `SELECT lead_id, lifecycle_stage, previous_stage, stage_changed_at, rfm_segment, previous_segment, segment_changed_at FROM \`${db}\`.rollup_leads WHERE as_of = '2026-07-15 00:00:00' ORDER BY lead_id`,
      );
      expect(history).toEqual([
        // Active since June, new before; Loyal since June (July's scores are the same), Potential loyalist before.
        { lead_id: 'u:p', lifecycle_stage: 'active', previous_stage: 'new', stage_changed_at: '2026-06-30 00:00:00', rfm_segment: 'Loyal', previous_segment: 'Potential loyalist', segment_changed_at: '2026-06-30 00:00:00' },
        // A prospect since the first snapshot: no earlier stage.
        { lead_id: 'u:q', lifecycle_stage: 'prospect', previous_stage: null, stage_changed_at: '2026-03-01 00:00:00', rfm_segment: null, previous_segment: null, segment_changed_at: '2026-03-01 00:00:00' },
        { lead_id: 'u:r', lifecycle_stage: 'churned', previous_stage: 'dormant', stage_changed_at: '2026-06-30 00:00:00', rfm_segment: 'Hibernating', previous_segment: 'At risk', segment_changed_at: '2026-06-30 00:00:00' },
        { lead_id: 'u:s', lifecycle_stage: 'prospect', previous_stage: null, stage_changed_at: '2026-06-30 00:00:00', rfm_segment: null, previous_segment: null, segment_changed_at: '2026-06-30 00:00:00' },
      ]);
    });
  });
}
