import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trackedEventSchema } from '@leadscore/events';
import {
  addHeat,
  contributionOf,
  decideAlerts,
  decideCompanyAlerts,
  defaultRules,
  heatContribution,
  heatHeldUntil,
  localDay,
  parseRules,
  totalHeat,
  type AlertState,
  type CompanyAlertState,
  type HeatState,
} from '../src/index.ts';

const rules = parseRules(defaultRules);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const now = Date.parse('2026-11-25T12:00:00Z');
const empty: AlertState = { heat: {}, streakDays: {}, lastFired: {}, heldUntil: {} };

function event(raw: Record<string, unknown>, at: number) {
  const t = new Date(at).toISOString();
  return trackedEventSchema.parse({ messageId: `m-${at}-${JSON.stringify(raw).length}`, userId: 'ann', timestamp: t, receivedAt: t, source: { id: 'web', kind: 'segment' }, ...raw });
}

/** The state a lead has after these contributions (heat, last seen), as the scripts would leave it. */
function stateAfter(contributions: ReturnType<typeof contributionOf>[], base: AlertState = empty): AlertState {
  const heat: Record<string, HeatState> = { ...base.heat };
  let lastSeen = base.lastSeen;
  for (const c of contributions) {
    for (const h of c.h ?? []) heat[h.k] = addHeat(heat[h.k], { era: h.e, amount: h.a });
    lastSeen = Math.max(lastSeen ?? 0, c.t);
  }
  return { ...base, heat, ...(lastSeen !== undefined ? { lastSeen } : {}) };
}

describe('a tier alert', () => {
  const demo = contributionOf(event({ type: 'track', event: 'Form Submitted', properties: { form_id: 'demo-request' } }, now - HOUR), rules);
  const page = contributionOf(event({ type: 'page', properties: { path: '/docs' } }, now - HOUR / 2), rules);

  it('fires for a lead who is in the tier and active now', () => {
    const { firings } = decideAlerts({ rules, contribution: demo, state: stateAfter([demo]), now, timeZone: 'UTC', freshnessMs: DAY });
    expect(firings.map((f) => f.ruleId)).toContain('became-hot');
  });

  it('holds, and does not fire again, while the lead stays in the tier', () => {
    const first = decideAlerts({ rules, contribution: demo, state: stateAfter([demo]), now, timeZone: 'UTC', freshnessMs: DAY });
    const fired = first.firings.find((f) => f.ruleId === 'became-hot');
    const after = stateAfter([demo, page], { ...empty, lastFired: { 'became-hot': fired?.lastFired } });
    const second = decideAlerts({ rules, contribution: page, state: after, now, timeZone: 'UTC', freshnessMs: DAY });
    expect(second.firings.map((f) => f.ruleId)).not.toContain('became-hot');
    expect(second.holds).toContainEqual({ ruleId: 'became-hot', until: expect.any(Number) });
  });

  it('fires again once the lead has cooled below the tier and heats up again after the cooldown', () => {
    const until = heatHeldUntil(stateAfter([demo]).heat, rules.tiers.hot, now);
    const later = until + 10 * DAY;
    const again = contributionOf(event({ type: 'track', event: 'Form Submitted', properties: { form_id: 'demo-request' } }, later), rules);
    const state = stateAfter([demo, again], { ...empty, lastFired: { 'became-hot': { runStart: localDay(now, 'UTC'), day: localDay(now, 'UTC'), until } } });
    expect(decideAlerts({ rules, contribution: again, state, now: later + HOUR, timeZone: 'UTC', freshnessMs: DAY }).firings.map((f) => f.ruleId)).toContain('became-hot');
  });

  it('does not fire for a lead made hot by old events only (a backfill)', () => {
    const old = contributionOf(event({ type: 'track', event: 'Form Submitted', properties: { form_id: 'demo-request' } }, now - 3 * DAY), rules);
    expect(decideAlerts({ rules, contribution: old, state: stateAfter([old]), now, timeZone: 'UTC', freshnessMs: DAY }).firings).toEqual([]);
  });

  // Weights that only add: with a negative one (a careers page) a lead can be hot before it and not after, and
  // whether that moment fires depends on which came first, as it would on any stream.
  it('fires once for the same events in any order, when the weights add heat (property)', () => {
    const weights = fc.array(fc.record({ hoursAgo: fc.integer({ min: 0, max: 100 }), path: fc.constantFrom('/pricing', '/docs', '/case-studies/x') }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(weights, fc.integer({ min: 0, max: 1000 }), (specs, seed) => {
        const contributions = specs.map((s, i) => contributionOf(event({ type: 'page', messageId: `p${i}`, properties: { path: s.path } }, now - s.hoursAgo * HOUR), rules));
        const count = (order: typeof contributions) => {
          let state = empty;
          let fired = 0;
          const applied: typeof contributions = [];
          for (const c of order) {
            applied.push(c);
            const decision = decideAlerts({ rules, contribution: c, state: stateAfter(applied, state), now, timeZone: 'UTC', freshnessMs: DAY });
            const f = decision.firings.find((x) => x.ruleId === 'became-hot');
            if (f) fired++;
            const held = Math.max(...decision.holds.filter((h) => h.ruleId === 'became-hot').map((h) => h.until), state.heldUntil['became-hot'] ?? -Infinity);
            state = { ...state, lastFired: f?.lastFired ? { ...state.lastFired, 'became-hot': f.lastFired } : state.lastFired, heldUntil: Number.isFinite(held) ? { 'became-hot': held } : {} };
          }
          return fired;
        };
        const shuffled = [...contributions].sort((a, b) => ((a.t * 31 + seed) % 97) - ((b.t * 31 + seed) % 97));
        expect(count(shuffled)).toBe(count(contributions));
        expect(count(contributions)).toBe(totalHeat(stateAfter(contributions).heat, now) >= rules.tiers.hot && now - Math.max(...contributions.map((c) => c.t)) <= DAY ? 1 : 0);
      }),
    );
  });
});

describe('how long heat stays in a tier', () => {
  it('is when one class, halving, falls below the threshold', () => {
    const heat = { [String(DAY)]: addHeat(undefined, heatContribution(now, 80, DAY)) };
    // 80 → 40 in one half-life.
    expect(Math.abs(heatHeldUntil(heat, 40, now) - (now + DAY))).toBeLessThanOrEqual(60_000);
  });

  it('is now when the heat is below the threshold already', () => {
    expect(heatHeldUntil({}, 40, now)).toBe(now);
  });

  it('finds the first fall below when a negative class fades faster than a positive one', () => {
    const heat = { [String(30 * DAY)]: addHeat(undefined, heatContribution(now, 100, 30 * DAY)), [String(DAY)]: addHeat(undefined, heatContribution(now, -50, DAY)) };
    const until = heatHeldUntil(heat, 40, now);
    expect(totalHeat(heat, until - 120_000)).toBeGreaterThanOrEqual(40);
    expect(totalHeat(heat, until)).toBeLessThan(40);
  });
});

describe('a buying-group alert', () => {
  const traits = { 'u:ceo': { title: 'CEO', budget: 1 }, 'u:cto': { title: 'CTO' } };
  const judge = { ruleIds: ['buying-group'], flagged: false };
  const groupAt = (ceo: number, cto: number, extra: Partial<CompanyAlertState> = {}): CompanyAlertState => ({
    engagements: { 'buying-group': [{ member: 'u:ceo', at: ceo }, { member: 'u:cto', at: cto }] },
    lastFired: {},
    heldUntil: {},
    ...extra,
  });

  it('fires when two roles of one company are on pricing within a week', () => {
    const { firings } = decideCompanyAlerts({ rules, judge, state: groupAt(now - DAY, now - DAY), memberTraits: traits, now, timeZone: 'UTC' });
    expect(firings).toMatchObject([{ ruleId: 'buying-group', evidence: { roles: ['EB', 'TB'] } }]);
  });

  it('fires once while the group stays engaged: both again the next day is the same group', () => {
    const yesterday = decideCompanyAlerts({ rules, judge, state: groupAt(now - DAY, now - DAY), memberTraits: traits, now: now - DAY + HOUR, timeZone: 'UTC' });
    const fired = yesterday.firings[0]?.lastFired;
    expect(fired).toBeDefined();
    const today = decideCompanyAlerts({ rules, judge, state: groupAt(now, now, { lastFired: { 'buying-group': fired } }), memberTraits: traits, now: now + HOUR, timeZone: 'UTC' });
    expect(today.firings).toEqual([]);
    expect(today.holds).toEqual([{ ruleId: 'buying-group', until: now + 7 * DAY }]);
  });

  it('fires again for a group that formed anew after the last one lapsed', () => {
    const fired = { runStart: 0, day: localDay(now - 20 * DAY, 'UTC'), until: now - 13 * DAY };
    const { firings } = decideCompanyAlerts({ rules, judge, state: groupAt(now - HOUR, now, { lastFired: { 'buying-group': fired } }), memberTraits: traits, now: now + HOUR, timeZone: 'UTC' });
    expect(firings).toHaveLength(1);
  });

  it('fires nothing for a flagged engagement', () => {
    expect(decideCompanyAlerts({ rules, judge: { ...judge, flagged: true }, state: groupAt(now, now), memberTraits: traits, now, timeZone: 'UTC' }).firings).toEqual([]);
  });
});

describe('a form alert', () => {
  it('is judged on the contribution alone: the rule ids and the form id travel with it', () => {
    const c = contributionOf(event({ type: 'track', event: 'Form Submitted', properties: { form_id: 'demo-request' } }, now - HOUR), rules);
    expect(c).toMatchObject({ fa: ['demo-request'], fm: 'demo-request' });
    expect(decideAlerts({ rules, contribution: c, state: stateAfter([c]), now, timeZone: 'UTC', freshnessMs: DAY }).firings).toContainEqual(expect.objectContaining({ ruleId: 'demo-request', window: `form-${c.m}` }));
  });

  const demo = (at: number) => contributionOf(event({ type: 'track', event: 'Form Submitted', properties: { form_id: 'demo-request' } }, at), rules);
  const judged = (c: ReturnType<typeof demo>, lastFiredAt?: number) =>
    decideAlerts({ rules, contribution: c, state: { ...stateAfter([c]), lastFired: lastFiredAt === undefined ? {} : { 'demo-request': { runStart: 0, day: 0, until: lastFiredAt } } }, now, timeZone: 'UTC', freshnessMs: DAY });

  it('fires once per lead a day however often the form is sent: the others are refused, and say so', () => {
    const first = judged(demo(now - 2 * HOUR));
    expect(first.firings[0]?.lastFired?.until).toBe(now - 2 * HOUR);
    const again = judged(demo(now - HOUR), now - 2 * HOUR);
    expect(again.firings.filter((f) => f.ruleId === 'demo-request')).toEqual([]);
    expect(again.refused).toEqual([{ ruleId: 'demo-request', reason: 'cooldown' }]);
  });

  it('fires again after the cooldown', () => {
    expect(judged(demo(now - HOUR), now - DAY - 2 * HOUR).firings.map((f) => f.ruleId)).toContain('demo-request');
  });

  it('follows the rules\' own cooldown', () => {
    const eager = parseRules({ ...defaultRules, alerts: defaultRules.alerts.map((a) => (a.id === 'demo-request' ? { ...a, cooldown: '0s' } : a)) });
    const c = contributionOf(event({ type: 'track', event: 'Form Submitted', properties: { form_id: 'demo-request' } }, now - HOUR), eager);
    const state = { ...stateAfter([c]), lastFired: { 'demo-request': { runStart: 0, day: 0, until: now - 2 * HOUR } } };
    expect(decideAlerts({ rules: eager, contribution: c, state, now, timeZone: 'UTC', freshnessMs: DAY }).firings.map((f) => f.ruleId)).toContain('demo-request');
  });
});
