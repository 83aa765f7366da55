import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { ScoringSettings } from '@leadscore/ingest/src/scoring-path.ts';
import type { Logger } from '@leadscore/log';
import { allLastSeenIndexKeys, BOUNDS, definePortraitScripts, isLeadProfile, profileKeys, readLedger, readPortrait, readProfile, resolveProfile } from '@leadscore/portrait';
import { dateOfDay, localDay, type Rules } from '@leadscore/scoring';
import type { Redis } from 'ioredis';
import { leadDifferences, type LeadRecord } from './compare.ts';
import { eventsBetween } from './event-source.ts';
import { createReplay } from './replay.ts';

export interface RescoreCheck {
  readonly events: number;
  readonly seconds: number;
  readonly leads: number;
  readonly identical: number;
  /** Leads whose rebuilt portrait differs, with the fields (the first 100). */
  readonly differing: readonly { readonly lead: string; readonly fields: readonly string[] }[];
  readonly differingCount: number;
}

async function record(redis: Redis, namespace: string, lead: string, rules: Rules, now: number): Promise<LeadRecord> {
  const [portrait, profile, ledger, state] = await Promise.all([
    readPortrait(redis, namespace, lead, rules, now),
    readProfile(redis, namespace, lead),
    readLedger(redis, namespace, lead, BOUNDS.ledgerCap),
    redis.hgetall(profileKeys(namespace, lead).state),
  ]);
  return { portrait, profile, ledger, state };
}

/**
 * A rescore's dry run: every portrait rebuilt from the events ClickHouse keeps, through the live scoring path, into
 * a scratch namespace (nothing sent, nothing live touched; removed afterwards), then each live lead (or the chosen
 * ones) compared with its rebuilt self, field by field. What a rescore would change, before it changes anything; and
 * after an incident (Redis losing its last writes), which portraits are not what their events say.
 */
export async function checkPortraits(
  deps: { readonly redis: Redis; readonly clickhouse: ClickHouseClient; readonly database: string; readonly settings: ScoringSettings; readonly log: Logger; readonly onProgress?: (done: number, seconds: number) => void },
  options: { readonly rules: Rules; readonly leads?: readonly string[]; readonly now: number },
): Promise<RescoreCheck> {
  const scratch = `${deps.settings.namespace}:rescore:${randomBytes(4).toString('hex')}`;
  const zone = deps.settings.timeZone;
  const replay = createReplay({
    redis: deps.redis,
    scripts: definePortraitScripts(deps.redis),
    settings: { ...deps.settings, namespace: scratch },
    rules: () => options.rules,
    log: deps.log,
    dayOf: (ms) => dateOfDay(localDay(ms, zone)),
    onAlert: () => {},
  });
  const began = performance.now();
  try {
    const events = await replay.replay(eventsBetween(deps.clickhouse, deps.database, 0, options.now + 1), (done) => deps.onProgress?.(done, (performance.now() - began) / 1000));
    const seconds = (performance.now() - began) / 1000;
    const leads: string[] = [];
    if (options.leads) for (const id of options.leads) leads.push(await resolveProfile(deps.redis, deps.settings.namespace, id));
    else for (const key of allLastSeenIndexKeys(deps.settings.namespace)) for (const lead of await deps.redis.zrange(key, 0, -1)) if (isLeadProfile(lead)) leads.push(lead);
    const differing: { lead: string; fields: string[] }[] = [];
    let count = 0;
    for (let i = 0; i < leads.length; i += 100) {
      await Promise.all(
        leads.slice(i, i + 100).map(async (lead) => {
          const [live, rebuilt] = await Promise.all([record(deps.redis, deps.settings.namespace, lead, options.rules, options.now), record(deps.redis, scratch, lead, options.rules, options.now)]);
          const fields = leadDifferences(live, rebuilt);
          if (fields.length === 0) return;
          count++;
          if (differing.length < 100) differing.push({ lead, fields });
        }),
      );
    }
    return { events, seconds, leads: leads.length, identical: leads.length - count, differing: differing.sort((a, b) => (a.lead < b.lead ? -1 : 1)), differingCount: count };
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await deps.redis.scan(cursor, 'MATCH', `${scratch}:*`, 'COUNT', 5000);
      cursor = next;
      if (keys.length > 0) await deps.redis.unlink(...keys);
    } while (cursor !== '0');
  }
}
