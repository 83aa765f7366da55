import type { RulesInput } from './rules.ts';

/**
 * The rules a deployment starts from, as the rules file would be written (a plain object, since this package has no
 * YAML parser): a starting point to copy and edit, and the examples the issue describes, kept working by tests.
 * Numbers are a first guess to tune against real leads. No `timeZone`: days are counted in the deployment's TIME_ZONE.
 */
export const defaultRules = {
  version: 'default-1',
  defaults: { halfLife: '7d', flaggedScore: false },
  // A demo request (40) alone is hot for a few days; two pricing visits (2 × 15) make a lead warm.
  tiers: { hot: 40, warm: 20 },
  // Every matching rule adds its weight: a pricing view scores pricing-page and page-view, a demo request
  // demo-request and contact-form.
  weights: [
    { id: 'pricing-page', description: 'Pricing is the strongest page signal, and the shortest-lived.', match: { type: 'page', path: '^/pricing(/|$)' }, weight: 15, halfLife: '3d' },
    { id: 'demo-request', match: { formId: 'demo-request' }, weight: 40, halfLife: '14d' },
    { id: 'contact-form', match: { kind: 'form' }, weight: 10 },
    { id: 'case-study', match: { type: 'page', path: '^/case-studies/.+' }, weight: 5 },
    { id: 'page-view', match: { type: 'page' }, weight: 1, halfLife: '3d' },
    { id: 'email-open', description: 'Opens are weak (pixels, previews) but say the address is alive.', match: { kind: 'email_open' }, weight: 1, halfLife: '30d' },
    { id: 'email-click', match: { kind: 'email_click' }, weight: 4, halfLife: '14d' },
    { id: 'order', match: { kind: 'order' }, weight: 20, halfLife: '30d' },
    { id: 'careers-page', description: 'Looking for a job here, not for a product.', match: { type: 'page', path: '^/(careers|jobs)(/|$)' }, weight: -10, halfLife: '30d' },
    { id: 'unsubscribe', match: { event: ['Unsubscribed', 'Email Unsubscribed'] }, weight: -30, halfLife: '90d' },
    { id: 'competitor', description: "A competitor's staff doing research.", match: { emailDomain: ['competitor.example'] }, weight: -50, halfLife: '90d' },
  ],
  tags: [
    { id: 'target-industry', kind: 'fact', when: { trait: { name: 'industry', in: ['software', 'saas', 'manufacturing', 'financial services', 'retail'] } } },
    { id: 'enterprise-size', kind: 'fact', when: { trait: { name: 'size', gte: 200 } } },
    { id: 'big-budget', kind: 'stated', when: { trait: { name: 'budget', gte: 100_000 } } },
    { id: 'near-term', kind: 'stated', when: { trait: { name: 'timeline', matches: 'now|immediate|this (month|quarter)|0-3 months|1-3 months|本月|本季度' } } },
    { id: 'stated-need', kind: 'stated', when: { trait: { name: 'answers.need', exists: true } } },
    { id: 'big-customer', kind: 'behavioral', description: 'One order of 100k or more in the reporting currency.', when: { match: { event: 'Order Completed', orderValue: { gte: 100_000 } }, atLeast: 1 } },
    { id: 'case-study-reader', kind: 'behavioral', description: 'Read 3 case studies this week.', when: { match: { type: 'page', path: '^/case-studies/.+' }, atLeast: 3, within: '7d' } },
    { id: 'demo-requested', kind: 'behavioral', when: { match: { formId: 'demo-request' }, atLeast: 1, within: '30d' } },
    { id: 'pricing-interest', kind: 'behavioral', when: { match: { type: 'page', path: '^/pricing(/|$)' }, atLeast: 2, within: '14d' } },
  ],
  roles: [
    // A role the lead or sales stated beats any guess from the title.
    { id: 'stated-eb', role: 'EB', when: { trait: { name: 'buying_role', eq: 'EB' } }, priority: 100 },
    { id: 'stated-ub', role: 'UB', when: { trait: { name: 'buying_role', eq: 'UB' } }, priority: 100 },
    { id: 'stated-tb', role: 'TB', when: { trait: { name: 'buying_role', eq: 'TB' } }, priority: 100 },
    { id: 'stated-coach', role: 'Coach', when: { trait: { name: 'buying_role', eq: 'Coach' } }, priority: 100 },
    { id: 'internal-champion', role: 'Coach', when: { answer: { question: 'internal_champion', in: [true, 'yes', 'y', '是'] } }, priority: 90 },
    {
      id: 'executive-with-budget',
      role: 'EB',
      when: { title: '\\b(ceo|cfo|coo|founder|owner|president|vp|vice president|director|head of)\\b|总经理|总裁|董事|总监', trait: { name: 'budget', exists: true } },
      priority: 50,
    },
    { id: 'technical', role: 'TB', when: { title: '\\b(cto|cio|it|engineer|engineering|developer|architect|devops|security)\\b|技术|工程师|架构' }, priority: 40 },
    { id: 'daily-user', role: 'UB', when: { title: '\\b(analyst|specialist|coordinator|operator|associate|marketer|representative|user)\\b|专员|运营' }, priority: 30 },
  ],
  fit: {
    // Budget, decision maker and intent (90) make an A; any two of them need the rest of the profile to get there.
    profile: [
      { id: 'budget', when: { tag: 'big-budget' }, points: 30 },
      { id: 'decision-maker', when: { role: 'EB' }, points: 30 },
      { id: 'buying-intent', when: { tag: ['demo-requested', 'pricing-interest'] }, points: 30 },
      { id: 'industry', when: { tag: 'target-industry' }, points: 10 },
      { id: 'size', when: { tag: 'enterprise-size' }, points: 10 },
      { id: 'timeline', when: { tag: 'near-term' }, points: 10 },
    ],
    grades: { A: 85, B: 50, C: 25 },
  },
  alerts: [
    { id: 'pricing-streak', kind: 'streak', match: { type: 'page', path: '^/pricing(/|$)' }, days: 3, cooldown: '7d', action: 'call today' },
    { id: 'demo-request', kind: 'form', formId: 'demo-request', action: 'call within one business day' },
    { id: 'became-hot', kind: 'tier', tier: 'hot', cooldown: '7d', action: 'follow up today' },
    {
      id: 'buying-group',
      kind: 'buying_group',
      match: { type: 'page', path: '^/pricing(/|$)' },
      roles: ['EB', 'UB', 'TB', 'Coach'],
      minRoles: 2,
      within: '7d',
      action: 'several people from one company are on pricing: propose an account meeting',
    },
    { id: 'eb-engaged', kind: 'buying_group', match: { type: ['page', 'track'] }, roles: ['EB'], minRoles: 1, within: '7d', cooldown: '30d', action: 'the economic buyer is engaged: reach out' },
    { id: 'a-customer-dormant', kind: 'stage', from: ['new', 'active'], to: 'dormant', abcClass: 'A', action: 'an A customer turned dormant: the account manager calls' },
  ],
  quiet: { after: '30d', tag: 'nurture', action: 'move to nurturing: send the newsletter sequence' },
} satisfies RulesInput;
