import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPortrait } from '@leadscore/portrait';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { services } from '@leadscore/tests/support/services.ts';
import { ingestWorld, tracked, type IngestWorld, type Worker } from './support.ts';

const rules = parseRules(defaultRules);
const now = Date.now();
const ago = (hours: number) => new Date(now - hours * 3_600_000).toISOString();
let world: IngestWorld;
let worker: Worker;
let n = 0;
const id = () => `pt-${++n}`;

beforeAll(async () => {
  world = await ingestWorld(services(), 'portrait');
  worker = await world.startWorker();
  await world.produce([
    // An economic buyer with budget and intent at a target company: the "big budget + decision maker + buying intent" case.
    tracked({ type: 'group', userId: 'ceo', groupId: 'acme', messageId: id(), timestamp: ago(50), traits: { industry: 'software', size: 800 } }),
    tracked({ type: 'identify', userId: 'ceo', messageId: id(), timestamp: ago(48), traits: { email: 'ceo@acme.example', title: 'CEO', budget: 150000 } }),
    tracked({ type: 'track', userId: 'ceo', event: 'Form Submitted', messageId: id(), timestamp: ago(2), properties: { form_id: 'demo-request', email: 'ceo@acme.example', timeline: 'this quarter' }, context: { groupId: 'acme' } }),
    tracked({ type: 'page', userId: 'ceo', messageId: id(), timestamp: ago(1), context: { page: { path: '/pricing' }, groupId: 'acme' } }),
    // A big order.
    tracked({ type: 'track', userId: 'buyer', event: 'Order Completed', messageId: id(), timestamp: ago(30), properties: { order_id: 'big-1', revenue: 120000, currency: 'USD' } }),
    // 120,000 CNY is about 17,000 USD, and this deployment has no CNY rate: not a big customer either way.
    tracked({ type: 'track', userId: 'yuan-buyer', event: 'Order Completed', messageId: id(), timestamp: ago(30), properties: { order_id: 'cny-1', revenue: 120000, currency: 'CNY' } }),
    // Case studies, three this week.
    ...[70, 50, 20].map((h) => tracked({ type: 'page', userId: 'reader', messageId: id(), timestamp: ago(h), context: { page: { path: `/case-studies/c${h}` } } })),
    // Left an email long ago, then quiet.
    tracked({ type: 'track', anonymousId: 'v-quiet', event: 'Form Submitted', messageId: id(), timestamp: ago(24 * 45), properties: { form_id: 'newsletter', email: 'quiet@beta.example' } }),
  ]);
  await world.caughtUp();
});

afterAll(async () => {
  await worker?.stop();
  await world?.close();
});

describe('the live portrait', () => {
  it('grades a CEO with budget who asked for a demo A, with the role and tags that say why', async () => {
    const p = await readPortrait(world.redis, world.ns, 'u:ceo', rules, now);
    expect(p.role).toEqual({ role: 'EB', ruleId: 'executive-with-budget' });
    expect(p.tags.map((t) => t.id)).toEqual(expect.arrayContaining(['target-industry', 'enterprise-size', 'big-budget', 'near-term', 'demo-requested']));
    expect(p.grade).toBe('A');
    expect(p.fit.matched).toEqual(expect.arrayContaining(['budget', 'decision-maker', 'buying-intent']));
    expect(p.tier).toBe('hot');
    expect(p.priority).toBe(0);
    expect(p.company?.companyId).toBe('acme');
  });

  it('tags one purchase over 100k a big customer', async () => {
    const p = await readPortrait(world.redis, world.ns, 'u:buyer', rules, now);
    expect(p.tags).toContainEqual({ id: 'big-customer', kind: 'behavioral' });
  });

  it('counts the big-customer threshold in the reporting currency, not in the order\'s own', async () => {
    const p = await readPortrait(world.redis, world.ns, 'u:yuan-buyer', rules, now);
    expect(p.tags.map((t) => t.id)).not.toContain('big-customer');
  });

  it('tags three case studies read this week, and not once the week is over', async () => {
    expect((await readPortrait(world.redis, world.ns, 'u:reader', rules, now)).tags).toContainEqual({ id: 'case-study-reader', kind: 'behavioral' });
    expect((await readPortrait(world.redis, world.ns, 'u:reader', rules, now + 6 * 86_400_000)).tags.map((t) => t.id)).not.toContain('case-study-reader');
  });

  it('reads a lead who left an email 45 days ago and went quiet as cold, for nurturing', async () => {
    const p = await readPortrait(world.redis, world.ns, 'e:quiet@beta.example', rules, now);
    expect(p.tier).toBe('cold');
    expect(p.tags).toContainEqual({ id: 'nurture', kind: 'quiet' });
  });
});
