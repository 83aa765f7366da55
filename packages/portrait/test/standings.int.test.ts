import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '@leadscore/redis';
import { addHeat, defaultRules, heatContribution, parseRules } from '@leadscore/scoring';
import { testNamespace } from '@leadscore/tests/support/namespace.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { companyKeys, encodeState, encodeTagTimes, encodeTrait, profileKeys, readPortrait, readStandings } from '../src/index.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');
const rules = parseRules(defaultRules);
const redis = createRedis(services().redisUrl);
const ns = testNamespace('standings');

/** Leads that exercise every input of a standing: company traits under the lead's, behavioral tag times, quiet, heat. */
const leads: Record<string, { company?: string; lastSeen: number; traits: Record<string, unknown>; tagTimes?: Record<string, number[]>; heat?: number }> = {
  'u:ceo': { company: 'acme', lastSeen: NOW - DAY, traits: { title: 'CEO', budget: 150_000 }, heat: 80 },
  'u:eng': { company: 'acme', lastSeen: NOW - 2 * DAY, traits: { title: 'Engineer' }, tagTimes: { 'pricing-interest': [NOW - DAY, NOW - 3 * DAY] } },
  // Its own industry over its company's.
  'u:own': { company: 'mine', lastSeen: NOW - 40 * DAY, traits: { industry: 'retail', timeline: 'this quarter' }, heat: 5 },
  'u:other': { company: 'mine', lastSeen: NOW - 3 * DAY, traits: {}, tagTimes: { 'case-study-reader': [NOW - 10 * DAY, NOW - 9 * DAY, NOW - 8 * DAY] } },
  'e:alone@x.example': { lastSeen: NOW - 5 * DAY, traits: { buying_role: 'EB' }, heat: 30 },
  'u:acme-late': { company: 'acme', lastSeen: NOW, traits: { title: 'VP Sales', budget: 10 } },
};
const companies: Record<string, Record<string, unknown>> = { acme: { industry: 'software', size: 500 }, mine: { industry: 'mining', size: 20 } };

beforeAll(async () => {
  const p = redis.pipeline();
  for (const [lead, l] of Object.entries(leads)) {
    const heat = l.heat ? { [String(rules.defaults.halfLife)]: addHeat(undefined, heatContribution(l.lastSeen, l.heat, rules.defaults.halfLife)) } : {};
    const state = encodeState({ firstSeen: l.lastSeen - 10 * DAY, lastSeen: l.lastSeen, counts: { page: 3 }, ...(l.company ? { company: { id: l.company, at: l.lastSeen } } : {}), heat });
    for (const [tag, times] of Object.entries(l.tagTimes ?? {})) state[`bt:${tag}`] = encodeTagTimes(times);
    p.hset(profileKeys(ns, lead).state, state);
    for (const [name, value] of Object.entries(l.traits)) p.hset(profileKeys(ns, lead).traits, name, encodeTrait(l.lastSeen, value));
  }
  for (const [company, traits] of Object.entries(companies)) for (const [name, value] of Object.entries(traits)) p.hset(companyKeys(ns, company).traits, name, encodeTrait(NOW - 20 * DAY, value));
  for (const [err] of (await p.exec()) ?? []) if (err) throw err;
});

afterAll(async () => {
  const keys = await redis.keys(`${ns}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('readStandings', () => {
  it('reads what readPortrait says of each lead, in the order given, companies shared across chunks', async () => {
    const order = [...Object.keys(leads), 'u:nobody'];
    const standings = await readStandings(redis, ns, order, rules, NOW, 2);
    expect([...standings.keys()]).toEqual(order);
    for (const lead of order) {
      const { lead: _, company: __, ...portrait } = await readPortrait(redis, ns, lead, rules, NOW);
      expect(standings.get(lead)).toStrictEqual(portrait);
    }
    // The fixture is not vacuous: grades differ, a behavioral and a quiet tag hold, a lead's trait beats its company's.
    expect(new Set([...standings.values()].map((s) => s.grade)).size).toBeGreaterThan(1);
    expect(standings.get('u:eng')?.tags).toContainEqual({ id: 'pricing-interest', kind: 'behavioral' });
    expect(standings.get('u:own')?.tags.map((t) => t.id)).toEqual(expect.arrayContaining(['target-industry', 'nurture']));
  });
});
