import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { eventsWithLead } from '@leadscore/clickhouse';
import type { TrackedEvent } from '@leadscore/events';
import { heatOf, readLedger, readPortrait, readProfile } from '@leadscore/portrait';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { services } from '@leadscore/tests/support/services.ts';
import { scenario, shuffled } from './scenario.ts';
import { ingestWorld, portraitWriters, tracked, type IngestWorld } from './support.ts';

const rules = parseRules(defaultRules);
const NOW = Date.UTC(2026, 9, 21);

/** Heat agrees to 1e-9 of its size (or of the gross heat when terms cancel). */
function expectSameHeat(actual: number, expected: number, gross: number) {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(expected), gross, 1e-12));
}

let writers: ReturnType<typeof portraitWriters>;
let redis: Redis;
beforeAll(() => {
  writers = portraitWriters(services().redisUrl);
  redis = writers.redis;
});
afterAll(() => writers.close());

/** Applies events straight through the portrait writer (the worker's Redis half), in the order given. */
async function applyInOrder(events: readonly TrackedEvent[], batch: number) {
  const ns = writers.namespace('heat');
  const writer = writers.writer(ns, { layout: { dedupWindowMs: 7 * 86_400_000, logCap: 5000 }, rules });
  for (let i = 0; i < events.length; i += batch) await writer.write(events.slice(i, i + batch));
  return ns;
}

function history(): TrackedEvent[] {
  const base = Date.UTC(2026, 7, 1);
  const out: TrackedEvent[] = [];
  let n = 0;
  for (let day = 0; day < 80; day += 3) {
    for (const person of ['ann', 'bob']) {
      const at = (h: number) => new Date(base + day * 86_400_000 + h * 3_600_000).toISOString();
      out.push(tracked({ type: 'page', anonymousId: `v-${person}`, messageId: `h-${++n}`, timestamp: at(9), context: { page: { path: '/pricing' } } }));
      out.push(tracked({ type: 'page', userId: person, messageId: `h-${++n}`, timestamp: at(10), context: { page: { path: day % 2 ? '/careers' : '/case-studies/acme' } } }));
      out.push(tracked({ type: 'track', userId: person, event: 'Email Opened', messageId: `h-${++n}`, timestamp: at(11), properties: { email_id: `e${day}` } }));
    }
  }
  out.push(tracked({ type: 'identify', userId: 'ann', anonymousId: 'v-ann', messageId: 'h-id-ann', timestamp: new Date(base + 40 * 86_400_000).toISOString(), traits: { email: 'ann@acme.example' } }));
  out.push(tracked({ type: 'track', anonymousId: 'v-bob', event: 'Form Submitted', messageId: 'h-form-bob', timestamp: new Date(base + 70 * 86_400_000).toISOString(), properties: { form_id: 'demo-request', email: 'bob@beta.example' } }));
  return out;
}

describe('heat', () => {
  it('is the same, to 1e-9, with the same tags, grade and streak state, whatever order the events arrive in (property, against real Redis)', async () => {
    const events = history();
    const reference = await applyInOrder(events, 50);
    const leads = ['u:ann', 'e:bob@beta.example'];
    const expected = await Promise.all(leads.map(async (lead) => heatOf(await readProfile(redis, reference, lead), NOW)));
    expect(expected.every((h) => h !== 0)).toBe(true);
    // Besides heat: tags, grade, role and the streak and tag state the alerts read.
    const rest = async (ns: string, lead: string) => {
      const p = await readPortrait(redis, ns, lead, rules, NOW);
      const state = await redis.hgetall(`${ns}:{p:${lead}}:state`);
      return { tags: p.tags, grade: p.grade, role: p.role, tier: p.tier, marks: Object.fromEntries(Object.entries(state).filter(([k]) => k.startsWith('sd:') || k.startsWith('bt:'))) };
    };
    const expectedRest = await Promise.all(leads.map((lead) => rest(reference, lead)));
    expect(Object.keys(expectedRest[0]!.marks).length).toBeGreaterThan(0);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 40 }), async (seed, batch) => {
        const ns = await applyInOrder(shuffled(events, seed), batch);
        for (const [i, lead] of leads.entries()) {
          expectSameHeat(heatOf(await readProfile(redis, ns, lead), NOW), expected[i] as number, Math.abs(expected[i] as number));
          expect(await rest(ns, lead)).toEqual(expectedRest[i]);
        }
      }),
      { numRuns: 8 },
    );
  });

  it('halves with the half-life of the rule that made it', async () => {
    const ns = await applyInOrder([tracked({ type: 'page', userId: 'solo', messageId: 'solo-1', timestamp: new Date(NOW).toISOString(), context: { page: { path: '/pricing' } } })], 1);
    const view = await readProfile(redis, ns, 'u:solo');
    // pricing-page 15 (3 d) and page-view 1 (3 d): 16, then 8 three days later.
    expect(heatOf(view, NOW)).toBeCloseTo(16, 9);
    expect(heatOf(view, NOW + 3 * 86_400_000)).toBeCloseTo(8, 9);
  });

  it('scores nothing for flagged traffic', async () => {
    const bot = tracked({ type: 'page', userId: 'crawler', messageId: 'bot-1', timestamp: new Date(NOW).toISOString(), context: { page: { path: '/pricing' } } });
    const ns = await applyInOrder([{ ...bot, flags: [{ kind: 'bot', reason: 'test' }] }], 1);
    expect(heatOf(await readProfile(redis, ns, 'u:crawler'), NOW)).toBe(0);
  });
});

describe('the score ledger', () => {
  let world: IngestWorld;
  beforeAll(async () => {
    world = await ingestWorld(services(), 'ledger');
    const worker = await world.startWorker();
    await world.produce(scenario());
    await world.caughtUp();
    await worker.stop();
  });
  afterAll(async () => {
    await world?.close();
  });

  it("explains a lead's heat: its lines, decayed, add up to the heat shown", async () => {
    const rows = (await (
      await world.clickhouse.query({
        query: `SELECT weight, half_life_ms, event_time_ms, rule_id, rules_version FROM ${world.ns}.score_ledger FINAL WHERE message_id IN (SELECT message_id FROM (${eventsWithLead(world.ns)}) AS r WHERE lead = 'u:ann')`,
        format: 'JSONEachRow',
      })
    ).json()) as { weight: number; half_life_ms: string; event_time_ms: string; rule_id: string; rules_version: string }[];
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.rules_version))).toEqual(new Set([rules.version]));
    const explained = rows.reduce((sum, r) => sum + r.weight * 2 ** (-(NOW - Number(r.event_time_ms)) / Number(r.half_life_ms)), 0);
    const shown = heatOf(await readProfile(world.redis, world.ns, 'u:ann'), NOW);
    expectSameHeat(explained, shown, Math.abs(shown));
    expect(rows.map((r) => r.rule_id)).toContain('pricing-page');
  });

  it('keeps the latest lines with the lead in Redis', async () => {
    const lines = await readLedger(world.redis, world.ns, 'u:ann', 100);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatchObject({ ruleId: expect.any(String), weight: expect.any(Number), halfLifeMs: expect.any(Number), rulesVersion: rules.version });
  });
});
