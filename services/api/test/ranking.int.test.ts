import { afterAll, describe, expect, it } from 'vitest';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { companyKeys, encodeState, encodeTrait, lastSeenIndexKey, profileKeys } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { testNamespace } from '@leadscore/tests/support/namespace.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { hotQuery, rankingOrder } from '../src/ranking-plan.ts';
import { createRanking } from '../src/ranking.ts';

/** Paging one ranking: every lead once, in ranking order, ties and filters included, whatever the page size. */
const redis = createRedis(services().redisUrl, { connectionName: 'test-ranking' });
const ns = testNamespace('ranking');
const now = Date.parse('2026-06-30T12:00:00Z');
afterAll(async () => {
  const keys = await redis.keys(`${ns}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('a ranking paged with a cursor', () => {
  it('gives every lead once in ranking order, ties (many leads of heat 0) included, with and without a filter', async () => {
    const p = redis.pipeline();
    for (let i = 0; i < 90; i++) {
      const lead = `u:r${String(i).padStart(3, '0')}`;
      const company = i % 3 === 0 ? 'acme' : 'globex';
      // A third has heat; the rest tie at 0.
      const heat = i % 3 === 1 ? { [String(7 * 86_400_000)]: { era: 0, sum: i } } : {};
      p.hset(profileKeys(ns, lead).state, encodeState({ firstSeen: now - 86_400_000, lastSeen: now - 3_600_000, company: { id: company, at: now }, heat }));
      p.zadd(lastSeenIndexKey(ns, lead), now, lead);
    }
    p.hset(companyKeys(ns, 'acme').traits, 'name', encodeTrait(now, 'Acme'));
    await p.exec();
    const ranking = createRanking({ redis, namespace: ns, rules: () => parseRules(defaultRules), everyMs: 60_000 });
    expect(await ranking.sweep(now)).toMatchObject({ swept: true, leads: 90 });

    for (const [filter, expected] of [[{}, 90], [{ company: 'acme' }, 30]] as const) {
      for (const limit of [1, 7, 50]) {
        const seen: { lead: string; score: number }[] = [];
        let cursor: string | undefined;
        for (let pages = 0; pages < 200; pages++) {
          const page = await ranking.page(hotQuery.parse({ limit, ...filter, ...(cursor ? { cursor } : {}) }));
          seen.push(...(page?.leads ?? []));
          if (!page?.cursor) break;
          cursor = page.cursor;
        }
        expect(new Set(seen.map((s) => s.lead)).size, `limit ${limit} ${JSON.stringify(filter)}`).toBe(expected);
        expect(seen.length).toBe(expected);
        expect([...seen].sort(rankingOrder)).toEqual(seen);
      }
    }
  });
});
