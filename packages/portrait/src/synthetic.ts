import type { Redis } from 'ioredis';
import { addHeat, heatContribution, type HeatState, type Rules } from '@leadscore/scoring';
import { companyKeys, lastSeenIndexKey, profileKeys } from './keys.ts';
import { encodeState, encodeTrait } from './read.ts';

const DAY = 86_400_000;

/**
 * Many lead portraits at once, as the ingest workers leave them (heat, company, traits, the last-seen index; one
 * company per 20 leads, with owner and region), for benchmarks and load tests that need a large population behind a
 * screen or an endpoint: `u:b<n>`, spread from cold to hot over the last three weeks.
 */
export async function seedSyntheticLeads(redis: Redis, namespace: string, options: { readonly leads: number; readonly now: number; readonly rules: Rules; readonly onProgress?: (done: number) => void }): Promise<void> {
  const { leads, now, rules } = options;
  const halfLifeMs = rules.defaults.halfLife;
  const halfLife = String(halfLifeMs);
  for (let i = 0; i < leads; i += 1000) {
    const p = redis.pipeline();
    for (let j = i; j < Math.min(leads, i + 1000); j++) {
      const lead = `u:b${j}`;
      const company = `acct_${j % Math.max(1, Math.floor(leads / 20))}`;
      let heat: HeatState | undefined;
      for (let k = 0; k < (j % 7) + 1; k++) heat = addHeat(heat, heatContribution(now - ((j * 7919 + k * 104729) % (21 * DAY)), 10 + (j % 5) * 5, halfLifeMs));
      const lastSeen = now - ((j * 7919) % (10 * DAY));
      p.hset(profileKeys(namespace, lead).state, encodeState({ firstSeen: now - 30 * DAY, lastSeen, counts: { page: 5 }, company: { id: company, at: lastSeen }, heat: heat ? { [halfLife]: heat } : {} }));
      p.hset(profileKeys(namespace, lead).traits, 'title', encodeTrait(now - 30 * DAY, j % 10 === 0 ? 'CEO' : 'Engineer'), 'budget', encodeTrait(now - 30 * DAY, (j % 4) * 60_000));
      p.zadd(lastSeenIndexKey(namespace, lead), lastSeen, lead);
      if (j % 20 === 0) p.hset(companyKeys(namespace, company).traits, 'name', encodeTrait(now, `Company ${company}`), 'owner', encodeTrait(now, `Owner ${j % 7}`), 'region', encodeTrait(now, j % 2 ? 'East' : 'West'));
    }
    for (const [err] of (await p.exec()) ?? []) if (err) throw err;
    options.onProgress?.(Math.min(leads, i + 1000));
  }
}
