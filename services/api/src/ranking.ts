import { randomUUID } from 'node:crypto';
import { allLastSeenIndexKeys, isLeadProfile, readPortrait } from '@leadscore/portrait';
import type { Rules } from '@leadscore/scoring';
import type { Redis } from 'ioredis';
import {
  after,
  decodeCursor,
  encodeCursor,
  entryOf,
  passes,
  rankingEntry,
  rankingOrder,
  RANKING_SHARDS,
  scoreOf,
  shardOf,
  tierChanges,
  type HotQuery,
  type RankingEntry,
} from './ranking-plan.ts';

/** Leads read per round of a sweep: its memory and its concurrent Redis commands stay bounded. */
const SWEEP_CHUNK = 200;
/** Changes kept in the stream (the oldest trimmed first): a CRM that reads less often than that misses some. */
export const CHANGES_KEPT = 100_000;

export class RankingExpired extends Error {}

/**
 * The hot list's ranking in Redis. Heat decays at read time, so the order changes with no write: a sweep evaluates
 * every lead not yet quiet (the last-seen index) at one moment and writes a version of the ranking, sharded sorted
 * sets with each lead's entry beside them, then points `current` at it. A cursor pages one version; versions expire
 * after a few sweeps. The sweep also records tier changes since the last one, those of decay alone included, in a
 * capped stream that GET /leads/changes reads.
 */
export function createRanking(deps: { readonly redis: Redis; readonly namespace: string; readonly rules: () => Rules; readonly everyMs: number }) {
  const { redis, namespace: ns } = deps;
  const currentKey = `${ns}:rank:current`;
  // One sweep per interval across instances: the lock is the interval's own (by the sweep's clock).
  const lockKey = (now: number) => `${ns}:lock:rank-sweep:${Math.floor(now / deps.everyMs)}`;
  const changesKey = `${ns}:changes`;
  const zset = (v: number, shard: number) => `${ns}:rank:{${shard}}:${v}`;
  const info = (v: number, shard: number) => `${ns}:rank:{${shard}}:${v}:info`;
  const keepMs = Math.max(600_000, 5 * deps.everyMs);

  async function readEntries(v: number): Promise<Map<string, RankingEntry>> {
    const out = new Map<string, RankingEntry>();
    for (let shard = 0; shard < RANKING_SHARDS; shard++) {
      for (const [lead, json] of Object.entries(await redis.hgetall(info(v, shard)))) out.set(lead, rankingEntry.parse(JSON.parse(json)));
    }
    return out;
  }

  return {
    /** One sweep, unless another instance holds this interval's lock. Returns what it did. */
    async sweep(now = Date.now()): Promise<{ swept: false } | { swept: true; version: number; leads: number; changes: number; ms: number }> {
      const began = performance.now();
      if ((await redis.set(lockKey(now), randomUUID(), 'PX', 2 * deps.everyMs, 'NX')) !== 'OK') return { swept: false };
      const previousVersion = Number((await redis.get(currentKey)) ?? NaN);
      const version = Math.max(now, Number.isFinite(previousVersion) ? previousVersion + 1 : 0);
      const candidates = new Set<string>();
      for (const key of allLastSeenIndexKeys(ns)) for (const lead of await redis.zrange(key, 0, -1)) if (isLeadProfile(lead)) candidates.add(lead);
      const leads = [...candidates].sort();
      const current = new Map<string, RankingEntry>();
      const rules = deps.rules();
      for (let i = 0; i < leads.length; i += SWEEP_CHUNK) {
        const entries = (await Promise.all(leads.slice(i, i + SWEEP_CHUNK).map((lead) => readPortrait(redis, ns, lead, rules, now)))).map(entryOf);
        const write = redis.pipeline();
        for (const e of entries) {
          current.set(e.lead, e);
          write.zadd(zset(version, shardOf(e.lead)), scoreOf(e), e.lead);
          write.hset(info(version, shardOf(e.lead)), e.lead, JSON.stringify(e));
        }
        await write.exec();
      }
      const finish = redis.pipeline();
      for (let shard = 0; shard < RANKING_SHARDS; shard++) {
        finish.pexpire(zset(version, shard), keepMs);
        finish.pexpire(info(version, shard), keepMs);
      }
      finish.set(currentKey, String(version));
      await finish.exec();
      const changes = Number.isFinite(previousVersion) ? tierChanges(await readEntries(previousVersion), current, previousVersion, now) : [];
      if (changes.length > 0) {
        const stream = redis.pipeline();
        for (const c of changes) stream.xadd(changesKey, 'MAXLEN', '~', CHANGES_KEPT, '*', 'change', JSON.stringify({ kind: 'tier', ...c, at: new Date(c.at).toISOString() }));
        await stream.exec();
      }
      return { swept: true, version, leads: current.size, changes: changes.length, ms: performance.now() - began };
    },

    /**
     * A page of the hot list: the ranking the cursor started on (else the current one), leads after the cursor in
     * ranking order that pass the filters. Undefined when no sweep has run yet; RankingExpired for a cursor whose
     * ranking is gone.
     */
    async page(q: HotQuery): Promise<{ version: number; leads: (RankingEntry & { score: number })[]; cursor: string | null } | undefined> {
      const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (q.cursor !== undefined && cursor === undefined) throw new RangeError('cursor is not one this API gave');
      const version = cursor?.v ?? Number((await redis.get(currentKey)) ?? NaN);
      if (!Number.isFinite(version)) return undefined;
      if (cursor && (await redis.exists(...Array.from({ length: RANKING_SHARDS }, (_, s) => zset(version, s)))) === 0) throw new RankingExpired();
      const max = cursor === undefined ? '+inf' : String(cursor.s);
      // Per shard, read ahead in pages until the filters have passed enough or the shard ends; the merge then takes
      // the first `limit` in ranking order, so every shard contributes what could come next.
      const picked: (RankingEntry & { score: number })[] = [];
      const batch = Math.max(q.limit * 2, 50);
      for (let shard = 0; shard < RANKING_SHARDS; shard++) {
        let offset = 0;
        let taken = 0;
        for (let scanned = 0; taken < q.limit && scanned < 20 * batch; scanned += batch) {
          const flat = await redis.zrevrangebyscore(zset(version, shard), max, '-inf', 'WITHSCORES', 'LIMIT', offset, batch);
          if (flat.length === 0) break;
          offset += flat.length / 2;
          const ranked = Array.from({ length: flat.length / 2 }, (_, i) => ({ lead: flat[2 * i] as string, score: Number(flat[2 * i + 1]) })).filter((r) => after(cursor, r));
          const infos = ranked.length > 0 ? await redis.hmget(info(version, shard), ...ranked.map((r) => r.lead)) : [];
          ranked.forEach((r, i) => {
            const json = infos[i];
            if (!json || taken >= q.limit) return;
            const e = rankingEntry.parse(JSON.parse(json));
            if (passes(e, q)) {
              picked.push({ ...e, score: r.score });
              taken += 1;
            }
          });
          if (flat.length / 2 < batch) break;
        }
      }
      const leads = picked.sort(rankingOrder).slice(0, q.limit);
      const last = leads.at(-1);
      return { version, leads, cursor: leads.length === q.limit && last ? encodeCursor({ v: version, s: last.score, l: last.lead }) : null };
    },

    /** Changes after `cursor` (a stream id; from the start without), oldest first, and the cursor to resume from. */
    async changes(cursor: string | undefined, limit: number): Promise<{ changes: unknown[]; cursor: string | null }> {
      const entries = await redis.xrange(changesKey, cursor ? `(${cursor}` : '-', '+', 'COUNT', limit);
      const changes = entries.map(([id, fields]) => ({ id, ...(JSON.parse(fields[1] ?? '{}') as object) }));
      return { changes, cursor: entries.at(-1)?.[0] ?? cursor ?? null };
    },
  };
}
export type Ranking = ReturnType<typeof createRanking>;
