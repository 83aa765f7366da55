import { describe, expect, it } from 'vitest';
import { addHeat, heatContribution, type HeatState } from '@leadscore/scoring';
import type { Firing } from '@leadscore/portrait';
import { liveNotices } from '../src/live-notices.ts';
import type { Judgment } from '../src/portrait-rounds.ts';

const DAY = 86_400_000;
const HALF_LIFE = 7 * DAY;
const now = Date.UTC(2026, 11, 2, 12);
const tiers = { tiers: { hot: 40, warm: 20 } };

/** A judgment of an event of `weight` at `now`, on a lead whose heat was `before` (also at `now`). */
function judged(lead: string, before: number, weight: number, index = 0): Judgment {
  const prior: HeatState | undefined = before > 0 ? addHeat(undefined, heatContribution(now, before, HALF_LIFE)) : undefined;
  const c = heatContribution(now, weight, HALF_LIFE);
  const after = addHeat(prior, c);
  return {
    index,
    lead,
    contribution: { m: `m-${lead}-${index}`, t: now, k: 'page', f: false, h: [{ k: String(HALF_LIFE), e: c.era, a: c.amount }] },
    state: { [`h:${HALF_LIFE}`]: `${after.era},${after.sum}` },
  } as Judgment;
}

describe('what a batch pushes to screens', () => {
  it('is a lead\'s move into another tier, from before its first event of the batch to after its last', () => {
    const first = judged('u:ann', 15, 10, 0);
    const second = judged('u:ann', 25, 20, 1);
    expect(liveNotices([first, second], [], tiers, now)).toEqual([{ kind: 'tier', lead: 'u:ann', from: 'cold', to: 'hot', at: now }]);
  });

  it('is nothing for events that leave a lead in its tier, or for visitors who are no lead yet', () => {
    expect(liveNotices([judged('u:ann', 25, 1), judged('a:visitor-1', 0, 50)], [], tiers, now)).toEqual([]);
  });

  it('is each alert a lead\'s events fired, with its action, and none for a company\'s', () => {
    const firing = (lead: string): Firing => ({ lead, candidate: { ruleId: 'demo-request', kind: 'form', window: 'form-m1', action: 'call within one business day', evidence: {} }, messageId: 'm1', rulesVersion: 'v1' });
    expect(liveNotices([], [firing('u:ann'), firing('c:acme')], tiers, now)).toEqual([{ kind: 'alert', lead: 'u:ann', rule: 'demo-request', action: 'call within one business day', at: now }]);
  });
});
