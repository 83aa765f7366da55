import { trackedEventSchema, type TrackedEvent } from '@leadscore/events';
import { describe, expect, it } from 'vitest';
import { buyingGroupOf, type BuyingGroupAlert, fitOf, matchesEvent, parseRules, priorityRank, quietTagOf, roleOf, type Rules, scoreEvent, tagsFromTraits, windowCount } from '../src/index.ts';

const DAY = 86_400_000;
const WHEN = '2026-03-02T10:00:00.000Z';

function event(message: Record<string, unknown>): TrackedEvent {
  return trackedEventSchema.parse({ messageId: 'm-1', anonymousId: 'anon-1', timestamp: WHEN, receivedAt: WHEN, source: { id: 'web', kind: 'segment' }, ...message });
}
const page = (path: string, extra: Record<string, unknown> = {}) => event({ type: 'page', properties: { path, url: `https://acme.example${path}` }, ...extra });
const track = (name: string, properties: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => event({ type: 'track', event: name, properties, ...extra });

function rules(partial: Record<string, unknown>): Rules {
  return parseRules({ version: 't', tiers: { hot: 40, warm: 20 }, weights: [], fit: { profile: [], grades: { A: 80, B: 50, C: 20 } }, ...partial });
}
const matchOf = (match: Record<string, unknown>) => rules({ weights: [{ id: 'm', match, weight: 1 }] }).weights[0]!.match;

describe('event matches', () => {
  it('test the path of a page, from its properties', () => {
    expect(matchesEvent(matchOf({ path: '^/pricing(/|$)' }), page('/pricing'))).toBe(true);
    expect(matchesEvent(matchOf({ path: '^/pricing(/|$)' }), page('/pricing-faq'))).toBe(false);
  });

  it('test the path of another call on a page, from its context', () => {
    const clicked = track('CTA Clicked', {}, { context: { page: { path: '/pricing', url: 'https://acme.example/pricing' } } });
    expect(matchesEvent(matchOf({ path: '^/pricing' }), clicked)).toBe(true);
  });

  it('take the path from the URL when only the URL is known', () => {
    expect(matchesEvent(matchOf({ path: '^/pricing$' }), event({ type: 'page', properties: { url: 'https://acme.example/pricing?plan=pro' } }))).toBe(true);
  });

  it('test the full URL, an email link included', () => {
    expect(matchesEvent(matchOf({ url: '^https://acme\\.example/' }), page('/blog'))).toBe(true);
    expect(matchesEvent(matchOf({ url: 'utm_campaign=q4' }), track('Email Link Clicked', { email_id: 'e1', link_url: 'https://acme.example/x?utm_campaign=q4' }))).toBe(true);
  });

  it('need every given field to hold', () => {
    expect(matchesEvent(matchOf({ type: 'page', path: '^/pricing' }), track('Viewed', {}, { context: { page: { path: '/pricing' } } }))).toBe(false);
  });

  it('read a list as any of its values', () => {
    const m = matchOf({ event: ['Unsubscribed', 'Email Unsubscribed'] });
    expect(matchesEvent(m, track('Email Unsubscribed'))).toBe(true);
    expect(matchesEvent(m, track('Subscribed'))).toBe(false);
  });

  it('know the portrait kinds of events', () => {
    expect(matchesEvent(matchOf({ kind: 'email_open' }), track('Email Opened', { email_id: 'e1' }))).toBe(true);
  });

  it('find a form by its id, numeric ids included', () => {
    expect(matchesEvent(matchOf({ formId: 'demo-request' }), track('Form Submitted', { form_id: 'demo-request' }))).toBe(true);
    expect(matchesEvent(matchOf({ formId: 7 }), track('Form Submitted', { form_id: 7 }))).toBe(true);
    expect(matchesEvent(matchOf({ formId: 'demo-request' }), track('Form Viewed', { form_id: 'demo-request' }))).toBe(false);
  });

  it('compare properties numerically, numeric strings included', () => {
    const big = matchOf({ event: 'Order Completed', properties: { revenue: { gte: 100_000 } } });
    expect(matchesEvent(big, track('Order Completed', { order_id: 'o1', revenue: 120_000 }))).toBe(true);
    expect(matchesEvent(big, track('Order Completed', { order_id: 'o1', revenue: '100000' }))).toBe(true);
    expect(matchesEvent(big, track('Order Completed', { order_id: 'o1', revenue: 99_999 }))).toBe(false);
    expect(matchesEvent(big, track('Order Completed', { order_id: 'o1', total: 150_000 }))).toBe(false);
  });

  it('compare property text without regard to case', () => {
    expect(matchesEvent(matchOf({ properties: { plan: { in: ['pro', 'enterprise'] } } }), track('Plan Viewed', { plan: 'Enterprise' }))).toBe(true);
  });

  it('reach nested properties by a dotted name, and any item of a list', () => {
    const m = matchOf({ properties: { 'answers.interests': 'crm' } });
    expect(matchesEvent(m, track('Form Submitted', { form_id: 'f', answers: { interests: ['scoring', 'CRM'] } }))).toBe(true);
  });

  it('recognise an email domain and its subdomains, from traits or properties', () => {
    const m = matchOf({ emailDomain: 'competitor.example' });
    expect(matchesEvent(m, event({ type: 'identify', traits: { email: 'Spy@EU.Competitor.example' } }))).toBe(true);
    expect(matchesEvent(m, page('/pricing', { context: { traits: { email: 'a@competitor.example' } } }))).toBe(true);
    expect(matchesEvent(m, page('/pricing', { context: { traits: { email: 'a@notcompetitor.example' } } }))).toBe(false);
  });
});

describe('event scores', () => {
  const scoring = rules({
    defaults: { halfLife: '7d' },
    weights: [
      { id: 'pricing', match: { type: 'page', path: '^/pricing' }, weight: 15, halfLife: '3d' },
      { id: 'any-page', match: { type: 'page' }, weight: 1 },
      { id: 'careers', match: { path: '^/careers' }, weight: -10 },
    ],
  });

  it('add up every matching weight rule, each with its half-life', () => {
    expect(scoreEvent(scoring, page('/pricing'))).toEqual([
      { weight: 15, halfLifeMs: 3 * DAY, ruleId: 'pricing' },
      { weight: 1, halfLifeMs: 7 * DAY, ruleId: 'any-page' },
    ]);
  });

  it('can be negative', () => {
    expect(scoreEvent(scoring, page('/careers/engineer')).map((s) => s.weight)).toEqual([1, -10]);
  });

  it('are nothing for an event no rule matches', () => {
    expect(scoreEvent(scoring, track('Something Else'))).toEqual([]);
  });

  it('are nothing for a bot, scanner or internal event by default', () => {
    expect(scoreEvent(scoring, page('/pricing', { flags: [{ kind: 'bot', reason: 'Googlebot' }] }))).toEqual([]);
  });

  it('count flagged events when the rules say so', () => {
    const lenient = rules({ defaults: { flaggedScore: true }, weights: [{ id: 'p', match: { type: 'page' }, weight: 1 }] });
    expect(scoreEvent(lenient, page('/pricing', { flags: [{ kind: 'internal', reason: '10.0.0.1' }] }))).toHaveLength(1);
  });
});

describe('counts in a window', () => {
  const now = Date.UTC(2026, 2, 10);

  it('count times after now − within up to now', () => {
    expect(windowCount([now - 7 * DAY, now - 7 * DAY + 1, now - DAY, now], 7 * DAY, now)).toBe(3);
  });

  it('leave out times after now', () => {
    expect(windowCount([now + 1], 7 * DAY, now)).toBe(0);
  });

  it('count everything up to now without a window', () => {
    expect(windowCount([0, now - 400 * DAY, now], undefined, now)).toBe(3);
  });
});

describe('tags from traits', () => {
  const tagging = rules({
    tags: [
      { id: 'software', kind: 'fact', when: { trait: { name: 'industry', eq: 'Software' } } },
      { id: 'big-budget', kind: 'stated', when: { trait: { name: 'budget', gte: 100_000 } } },
      { id: 'needs-scoring', kind: 'stated', when: { trait: { name: 'answers.need', matches: 'scor' } } },
      { id: 'reader', kind: 'behavioral', when: { match: { type: 'page' }, atLeast: 3, within: '7d' } },
    ],
  });

  it('are the fact and stated tags whose trait condition holds', () => {
    expect(tagsFromTraits(tagging, { industry: 'software', budget: '250000', answers: { need: 'Lead scoring for sales' } })).toEqual(['software', 'big-budget', 'needs-scoring']);
  });

  it('leave behavioral tags to event counts', () => {
    expect(tagsFromTraits(tagging, {})).toEqual([]);
  });

  it('do not hold for a missing or unreadable value', () => {
    expect(tagsFromTraits(tagging, { budget: 'a lot' })).toEqual([]);
  });
});

describe('quiet leads', () => {
  const quiet = rules({ quiet: { after: '30d', tag: 'nurture' } });
  const now = Date.UTC(2026, 2, 10);

  it('get the quiet tag after the quiet period', () => {
    expect(quietTagOf(quiet, now - 30 * DAY, now)).toBe('nurture');
  });

  it('do not get it while still active', () => {
    expect(quietTagOf(quiet, now - 29 * DAY, now)).toBeUndefined();
  });
});

describe('buying roles', () => {
  const roles = rules({
    roles: [
      { id: 'stated-eb', role: 'EB', when: { trait: { name: 'buying_role', eq: 'EB' } }, priority: 100 },
      { id: 'champion', role: 'Coach', when: { answer: { question: 'internal_champion', in: [true, 'yes'] } }, priority: 90 },
      { id: 'exec', role: 'EB', when: { title: '\\b(ceo|owner|director)\\b', trait: { name: 'budget', exists: true } }, priority: 50 },
      { id: 'tech', role: 'TB', when: { title: '\\b(cto|it|engineering)\\b' }, priority: 40 },
      { id: 'user', role: 'UB', when: { title: 'analyst' }, priority: 30 },
      { id: 'user-too', role: 'UB', when: { title: 'director of analytics' }, priority: 40 },
    ],
  });

  it('make a CEO with a budget the economic buyer', () => {
    expect(roleOf(roles, { title: 'CEO', budget: 200_000 })).toEqual({ role: 'EB', ruleId: 'exec' });
  });

  it('do not make a CEO without a budget the economic buyer', () => {
    expect(roleOf(roles, { title: 'CEO' })).toBeUndefined();
  });

  it('make IT the technical buyer', () => {
    expect(roleOf(roles, { title: 'Head of IT' })).toEqual({ role: 'TB', ruleId: 'tech' });
  });

  it('make a daily user the user buyer', () => {
    expect(roleOf(roles, { title: 'Marketing Analyst' })).toEqual({ role: 'UB', ruleId: 'user' });
  });

  it('make an internal champion answer a coach', () => {
    expect(roleOf(roles, { title: 'Analyst', answers: { internal_champion: 'Yes' } })).toEqual({ role: 'Coach', ruleId: 'champion' });
  });

  it('let a stated role beat the title', () => {
    expect(roleOf(roles, { title: 'CTO', buying_role: 'EB' })).toEqual({ role: 'EB', ruleId: 'stated-eb' });
  });

  it('take the first rule in the file among equal priorities', () => {
    expect(roleOf(roles, { title: 'IT director of analytics' })).toEqual({ role: 'TB', ruleId: 'tech' });
  });
});

describe('fit', () => {
  const fitting = rules({
    tags: [
      { id: 'big-budget', kind: 'stated', when: { trait: { name: 'budget', gte: 100_000 } } },
      { id: 'demo', kind: 'behavioral', when: { match: { formId: 'demo' }, atLeast: 1 } },
      { id: 'pricing', kind: 'behavioral', when: { match: { path: '^/pricing' }, atLeast: 2, within: '14d' } },
    ],
    fit: {
      profile: [
        { id: 'budget', when: { tag: 'big-budget' }, points: 30 },
        { id: 'decision-maker', when: { role: 'EB' }, points: 30 },
        { id: 'intent', when: { tag: ['demo', 'pricing'] }, points: 30 },
        { id: 'software', when: { trait: { name: 'industry', eq: 'software' } }, points: 10 },
      ],
      grades: { A: 85, B: 50, C: 25 },
    },
  });

  it('grades budget, decision maker and buying intent A', () => {
    expect(fitOf(fitting, { tags: ['big-budget', 'pricing'], role: 'EB', traits: {} })).toEqual({ points: 90, grade: 'A', matched: ['budget', 'decision-maker', 'intent'] });
  });

  it('counts an entry listing several tags once', () => {
    expect(fitOf(fitting, { tags: ['demo', 'pricing'], traits: {} }).points).toBe(30);
  });

  it('grades down as the profile holds less', () => {
    expect(fitOf(fitting, { tags: ['big-budget', 'demo'], traits: { industry: 'Software' } }).grade).toBe('B');
    expect(fitOf(fitting, { tags: ['demo'], traits: {} }).grade).toBe('C');
    expect(fitOf(fitting, { tags: [], role: 'TB', traits: {} })).toEqual({ points: 0, grade: 'D', matched: [] });
  });
});

describe('priority', () => {
  it('puts A-hot first and D-cold last', () => {
    const all = (['A', 'B', 'C', 'D'] as const).flatMap((g) => (['hot', 'warm', 'cold'] as const).map((t) => ({ label: `${g}-${t}`, rank: priorityRank(g, t) })));
    const order = all.sort((a, b) => a.rank - b.rank).map((p) => p.label);
    expect(order[0]).toBe('A-hot');
    expect(order.at(-1)).toBe('D-cold');
  });

  it('weighs fit and heat alike, the better fit first', () => {
    expect(priorityRank('A', 'warm')).toBeLessThan(priorityRank('B', 'hot'));
    expect(priorityRank('B', 'hot')).toBeLessThan(priorityRank('A', 'cold'));
    expect(priorityRank('C', 'hot')).toBeLessThan(priorityRank('B', 'cold'));
  });
});

describe('buying groups', () => {
  const alert = rules({
    alerts: [{ id: 'g', kind: 'buying_group', match: { path: '^/pricing' }, roles: ['EB', 'TB', 'UB'], minRoles: 2, within: '7d', action: 'meet' }],
  }).alerts[0] as BuyingGroupAlert;
  const now = Date.UTC(2026, 2, 10);

  it('are met by enough distinct roles within the window', () => {
    expect(buyingGroupOf(alert, [{ role: 'TB', at: now - DAY }, { role: 'EB', at: now - 2 * DAY }], now)).toEqual({ met: true, roles: ['EB', 'TB'] });
  });

  it('are not met by one role many times, nor by people without a listed role', () => {
    expect(buyingGroupOf(alert, [{ role: 'TB', at: now - DAY }, { role: 'TB', at: now }, { role: undefined, at: now }, { role: 'Coach', at: now }], now).met).toBe(false);
  });

  it('are not met by engagements older than the window', () => {
    expect(buyingGroupOf(alert, [{ role: 'TB', at: now - DAY }, { role: 'EB', at: now - 8 * DAY }], now).met).toBe(false);
  });
});
