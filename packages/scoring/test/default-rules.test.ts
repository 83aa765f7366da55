import { trackedEventSchema, type TrackedEvent } from '@leadscore/events';
import { describe, expect, it } from 'vitest';
import {
  addHeat,
  behavioralTagHolds,
  defaultRules,
  fitOf,
  halfLifeKey,
  type HeatState,
  heatContribution,
  localDay,
  matchesEvent,
  parseRules,
  quietTagOf,
  roleOf,
  scoreEvent,
  streakDecision,
  tagsFromTraits,
  tierOf,
  totalHeat,
} from '../src/index.ts';

/** The examples the issue gives, as the default rules score them. */

const rules = parseRules(defaultRules);
const DAY = 86_400_000;

function event(message: Record<string, unknown>, at: string): TrackedEvent {
  return trackedEventSchema.parse({ messageId: `m-${at}`, anonymousId: 'anon-1', timestamp: at, receivedAt: at, source: { id: 'web', kind: 'segment' }, ...message });
}
const page = (path: string, at: string) => event({ type: 'page', properties: { path, url: `https://acme.example${path}` } }, at);
const track = (name: string, properties: Record<string, unknown>, at: string) => event({ type: 'track', event: name, properties }, at);

function weightOf(e: TrackedEvent): number {
  return scoreEvent(rules, e).reduce((sum, s) => sum + s.weight, 0);
}

function heatOf(events: readonly TrackedEvent[], now: number): number {
  const states: Record<string, HeatState> = {};
  for (const e of events) {
    for (const s of scoreEvent(rules, e)) {
      const key = halfLifeKey(s.halfLifeMs);
      states[key] = addHeat(states[key], heatContribution(Date.parse(e.timestamp), s.weight, s.halfLifeMs));
    }
  }
  return totalHeat(states, now);
}

const behavioral = (id: string) => {
  const rule = rules.tags.find((t) => t.id === id);
  if (rule?.kind !== 'behavioral') throw new Error(`no behavioral tag ${id}`);
  return rule;
};

describe('the default weights', () => {
  it('score the pricing page high with a short half-life', () => {
    const [pricing] = scoreEvent(rules, page('/pricing', '2026-03-02T10:00:00Z'));
    expect(pricing).toMatchObject({ ruleId: 'pricing-page', weight: 15, halfLifeMs: 3 * DAY });
    expect(weightOf(page('/pricing', '2026-03-02T10:00:00Z'))).toBeGreaterThan(5 * weightOf(page('/blog/hello', '2026-03-02T10:00:00Z')));
  });

  it('score a demo request high enough to make a lead hot on its own', () => {
    const at = '2026-03-02T10:00:00Z';
    expect(tierOf(heatOf([track('Form Submitted', { form_id: 'demo-request' }, at)], Date.parse(at)), rules.tiers)).toBe('hot');
  });

  it('score an email open low, with a longer half-life', () => {
    expect(scoreEvent(rules, track('Email Opened', { email_id: 'e1' }, '2026-03-02T10:00:00Z'))).toEqual([{ ruleId: 'email-open', weight: 1, halfLifeMs: 30 * DAY }]);
  });

  it('score the careers page and an unsubscribe below zero', () => {
    expect(weightOf(page('/careers/engineer', '2026-03-02T10:00:00Z'))).toBeLessThan(0);
    expect(weightOf(track('Unsubscribed', {}, '2026-03-02T10:00:00Z'))).toBeLessThan(0);
  });

  it("score a competitor's staff below zero", () => {
    const visit = event({ type: 'page', properties: { path: '/pricing' }, context: { traits: { email: 'pm@competitor.example' } } }, '2026-03-02T10:00:00Z');
    expect(weightOf(visit)).toBeLessThan(0);
  });

  it('score nothing for a bot on the pricing page', () => {
    expect(scoreEvent(rules, event({ type: 'page', properties: { path: '/pricing' }, flags: [{ kind: 'bot', reason: 'crawler' }] }, '2026-03-02T10:00:00Z'))).toEqual([]);
  });

  it('make two pricing visits warm and let them cool within the week', () => {
    const visits = [page('/pricing', '2026-03-02T10:00:00Z'), page('/pricing', '2026-03-02T10:05:00Z')];
    expect(tierOf(heatOf(visits, Date.parse('2026-03-02T11:00:00Z')), rules.tiers)).toBe('warm');
    expect(tierOf(heatOf(visits, Date.parse('2026-03-09T11:00:00Z')), rules.tiers)).toBe('cold');
  });
});

describe('the default tags', () => {
  it('make one order of 100k or more in the reporting currency a big customer', () => {
    const rule = behavioral('big-customer');
    const order = track('Order Completed', { order_id: 'o1', revenue: 120_000 }, '2026-01-15T10:00:00Z');
    expect(matchesEvent(rule.when.match, order)).toBe(true);
    expect(behavioralTagHolds(rule, [Date.parse(order.timestamp)], Date.parse('2026-12-01T00:00:00Z'))).toBe(true);
    expect(matchesEvent(rule.when.match, track('Order Completed', { order_id: 'o2', revenue: 99_000 }, '2026-01-15T10:00:00Z'))).toBe(false);
  });

  it('convert an order in another currency as the rollups do, and leave one without a rate out', () => {
    const rule = behavioral('big-customer');
    const money = { currency: 'USD', rates: { CNY: 0.14 } };
    const cny = (revenue: number) => track('Order Completed', { order_id: `o${revenue}`, revenue, currency: 'CNY' }, '2026-01-15T10:00:00Z');
    // 120,000 CNY is 16,800 USD: not a big customer, though the number is over 100k.
    expect(matchesEvent(rule.when.match, cny(120_000), money)).toBe(false);
    expect(matchesEvent(rule.when.match, cny(800_000), money)).toBe(true);
    expect(matchesEvent(rule.when.match, cny(800_000))).toBe(false);
  });

  it('make three case studies read within a week a tag, and two not', () => {
    const rule = behavioral('case-study-reader');
    const reads = ['2026-03-02T09:00:00Z', '2026-03-04T09:00:00Z', '2026-03-07T09:00:00Z'].map((at) => page('/case-studies/acme-steel', at));
    expect(reads.every((r) => matchesEvent(rule.when.match, r))).toBe(true);
    const times = reads.map((r) => Date.parse(r.timestamp));
    expect(behavioralTagHolds(rule, times, Date.parse('2026-03-08T09:00:00Z'))).toBe(true);
    expect(behavioralTagHolds(rule, times, Date.parse('2026-03-10T09:00:00Z'))).toBe(false);
  });

  it('tag a lead quiet for 30 days for nurturing', () => {
    expect(quietTagOf(rules, Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-03-31T00:00:00Z'))).toBe('nurture');
  });
});

describe('the default role and fit rules', () => {
  it('grade a CEO with a big budget who asked for a demo A', () => {
    const traits = { title: 'CEO', budget: 300_000, industry: 'Software' };
    const role = roleOf(rules, traits)?.role;
    expect(role).toBe('EB');
    const fit = fitOf(rules, { tags: [...tagsFromTraits(rules, traits), 'demo-requested'], role, traits });
    expect(fit.grade).toBe('A');
  });

  it('grade the same lead without buying intent lower', () => {
    const traits = { title: 'CEO', budget: 300_000, industry: 'Software' };
    expect(fitOf(rules, { tags: tagsFromTraits(rules, traits), role: roleOf(rules, traits)?.role, traits }).grade).toBe('B');
  });

  it('make a CTO the technical buyer and a Chinese operations specialist a user buyer', () => {
    expect(roleOf(rules, { title: 'CTO' })?.role).toBe('TB');
    expect(roleOf(rules, { title: '市场运营专员' })?.role).toBe('UB');
  });

  it('make a lead who says they champion it internally a coach', () => {
    expect(roleOf(rules, { title: 'Marketing Analyst', answers: { internal_champion: 'yes' } })?.role).toBe('Coach');
  });
});

describe('the default pricing streak alert', () => {
  const alert = rules.alerts.find((a) => a.id === 'pricing-streak');
  if (alert?.kind !== 'streak') throw new Error('no pricing streak alert');
  const zone = 'Asia/Shanghai';
  // Shanghai days Mar 1, 2 and 3; in UTC the first is still Feb 28.
  const visits = ['2026-02-28T17:30:00Z', '2026-03-02T02:00:00Z', '2026-03-03T01:00:00Z'].map((at) => page('/pricing', at));

  it('says "call today" on the third consecutive day on pricing', () => {
    const days = visits.filter((v) => matchesEvent(alert.match, v)).map((v) => localDay(Date.parse(v.timestamp), zone));
    const today = localDay(Date.parse('2026-03-03T03:00:00Z'), zone);
    expect(streakDecision({ days, n: alert.days, today, cooldownDays: Math.ceil(alert.cooldown / DAY) })).toMatchObject({ fire: true });
    expect(alert.action).toBe('call today');
  });

  it('counts days in the configured zone, so the same visits are no streak in UTC', () => {
    const days = visits.map((v) => localDay(Date.parse(v.timestamp), 'UTC'));
    const today = localDay(Date.parse('2026-03-03T03:00:00Z'), 'UTC');
    expect(streakDecision({ days, n: alert.days, today, cooldownDays: 7 })).toMatchObject({ fire: false, reason: 'too-short' });
  });
});
