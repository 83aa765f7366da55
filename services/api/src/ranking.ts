import { randomUUID } from 'node:crypto';
import { allLastSeenIndexKeys, BOUNDS, isLeadProfile, parseAlertMarkers, parseLedgerEntry, profileKeys, readPortrait, subjectKeys } from '@leadscore/portrait';
import type { Rules } from '@leadscore/scoring';
import type { Redis } from 'ioredis';
import {
  decodeCursor,
  encodeCursor,
  entryOf,
  passes,
  reasonsOf,
  suggestionOf,
  rankingEntry,
  rankingOrder,
  RANKING_SHARDS,
  scoreOf,
  shardOf,
  leadChanges,
  type HotQuery,
  type RankingEntry,
} from './ranking-plan.ts';

/** Leads read per round of a sweep: its memory and its concurrent Redis commands stay bounded. */
const SWEEP_CHUNK = 200;
/** Changes kept in the stream (the oldest trimmed first): a CRM that reads less often than that misses some. */
export const CHANGES_KEPT = 100_000;
/** The stream of changes the sweeps found (GET /leads/changes, the changes webhook, the live feed's decays). */
export const changesStreamKey = (namespace: string) => `${namespace}:changes`;

export class RankingExpired extends Error {}

/**
 * Leads' entries as of `now`: each portrait evaluated, and for leads not cold, why (the ledger) and what to do (the
 * alert markers), read in one pipeline. The sweep and the live feed both use it, so a row pushed live is the row the
 * next sweep writes.
 */
export async function readRankingEntries(redis: Redis, ns: string, leads: readonly string[], rules: Rules, now: number): Promise<RankingEntry[]> {
  // A lead merged into another (by a link or by hand) is that lead now: it is ranked once, as itself.
  const portraits = (await Promise.all(leads.map((lead) => readPortrait(redis, ns, lead, rules, now)))).filter((p) => p.linkedTo === undefined);
  const warm = portraits.filter((p) => p.tier !== 'cold');
  const more = redis.pipeline();
  for (const p of warm) {
    more.lrange(profileKeys(ns, p.lead).ledger, -BOUNDS.ledgerCap, -1);
    more.hgetall(subjectKeys(ns, p.lead).alerts);
  }
  const replies = warm.length === 0 ? [] : ((await more.exec()) ?? []);
  const extra = new Map(
    warm.map((p, i) => {
      const [ledgerErr, ledger] = replies[2 * i] ?? [];
      const [markersErr, markers] = replies[2 * i + 1] ?? [];
      if (ledgerErr || markersErr) throw ledgerErr ?? markersErr;
      return [p.lead, { why: reasonsOf((ledger as string[]).flatMap(parseLedgerEntry), now), action: suggestionOf(parseAlertMarkers(markers as Record<string, string>), rules, now) }];
    }),
  );
  return portraits.map((p) => entryOf(p, extra.get(p.lead)));
}

/**
 * The hot list's ranking in Redis. Heat decays at read time, so the order changes with no write: a sweep evaluates
 * every lead not yet quiet (the last-seen index) at one moment and writes a version of the ranking, sharded sorted
 * sets with each lead's entry beside them, then points `current` at it. A cursor pages one version; versions expire
 * after a few sweeps. The sweep also records what changed since the last one — tier (decay alone included), fit
 * grade, lifecycle stage, buying role — in a capped stream that GET /leads/changes reads.
 */
export function createRanking(deps: { readonly redis: Redis; readonly namespace: string; readonly rules: () => Rules; readonly everyMs: number }) {
  const { redis, namespace: ns } = deps;
  const currentKey = `${ns}:rank:current`;
  // One sweep per interval across instances: the lock is the interval's own (by the sweep's clock).
  const lockKey = (now: number) => `${ns}:lock:rank-sweep:${Math.floor(now / deps.everyMs)}`;
  const changesKey = changesStreamKey(ns);
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
        const entries = await readRankingEntries(redis, ns, leads.slice(i, i + SWEEP_CHUNK), rules, now);
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
      const changes = Number.isFinite(previousVersion) ? leadChanges(await readEntries(previousVersion), current, previousVersion, now) : [];
      if (changes.length > 0) {
        const stream = redis.pipeline();
        for (const c of changes) stream.xadd(changesKey, 'MAXLEN', '~', CHANGES_KEPT, '*', 'change', JSON.stringify({ ...c, at: new Date(c.at).toISOString() }));
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
      // Rounds: every shard not yet finished reads its next `batch` in one pipeline; those that pass the filters are
      // merged in ranking order with what earlier rounds found. A lead is given only when no shard can still hold one
      // that ranks before it, so offsets advance exactly past what the page gave. Bounded: a page may come back short,
      // with a cursor to go on.
      const filtered = q.tier !== undefined || q.company !== undefined || q.owner !== undefined || q.region !== undefined || q.tag !== undefined || q.role !== undefined || q.stage !== undefined;
      // Shards hold a hash's share each, so a page's leads spread over them: read a little over an even share per round.
      const batch = Math.ceil((filtered ? 4 : 2) * (q.limit / RANKING_SHARDS)) + 5;
      const shards = Array.from({ length: RANKING_SHARDS }, (_, shard) => ({ shard, read: cursor?.o[shard] ?? 0, exhausted: false }));
      type Ranked = { lead: string; score: number; shard: number; position: number; entry?: RankingEntry };
      const pending: Ranked[] = [];
      const given: (RankingEntry & { score: number })[] = [];
      const consumed = shards.map((s) => s.read);
      for (let round = 0; round < 20 && given.length < q.limit; round++) {
        const open = shards.filter((s) => !s.exhausted);
        if (open.length === 0) break;
        const ranks = redis.pipeline();
        for (const s of open) ranks.zrevrange(zset(version, s.shard), s.read, s.read + batch - 1, 'WITHSCORES');
        const fresh: Ranked[] = ((await ranks.exec()) ?? []).flatMap(([err, flat], i) => {
          if (err) throw err;
          const list = flat as string[];
          const s = open[i] as (typeof open)[number];
          const rows = Array.from({ length: list.length / 2 }, (_, k) => ({ lead: list[2 * k] as string, score: Number(list[2 * k + 1]), shard: s.shard, position: s.read + k }));
          s.read += rows.length;
          if (rows.length < batch) s.exhausted = true;
          return rows;
        });
        pending.push(...fresh);
        pending.sort(rankingOrder);
        // What every unfinished shard has read up to: nothing ranked after the highest-ranked of those last reads can
        // be given yet (that shard's next unread lead may rank before it).
        const frontier = shards.filter((s) => !s.exhausted).map((s) => pending.filter((r) => r.shard === s.shard).at(-1)).filter((r): r is Ranked => r !== undefined);
        const safeUntil = frontier.length === 0 ? undefined : frontier.sort(rankingOrder).at(0);
        const safe = pending.filter((r) => !safeUntil || rankingOrder(r, safeUntil) <= 0);
        // Entries are read only for the leads about to be judged: a page reads about `limit` of them unfiltered.
        const judged = safe.slice(0, filtered ? safe.length : q.limit - given.length);
        const infos = redis.pipeline();
        for (const r of judged) infos.hget(info(version, r.shard), r.lead);
        ((await infos.exec()) ?? []).forEach(([err, json], i) => {
          if (err) throw err;
          const r = judged[i] as Ranked;
          if (typeof json === 'string') r.entry = rankingEntry.parse(JSON.parse(json));
        });
        for (const next of judged) {
          if (given.length >= q.limit) break;
          pending.splice(pending.indexOf(next), 1);
          consumed[next.shard] = next.position + 1;
          if (next.entry && passes(next.entry, q)) given.push({ ...next.entry, score: next.score });
        }
      }
      const more = shards.some((s, i) => !s.exhausted || pending.some((r) => r.shard === i));
      return { version, leads: given, cursor: more ? encodeCursor({ v: version, o: consumed }) : null };
    },

    /**
     * Every lead of the current ranking, shard by shard, a page of entries at a time (HSCAN): what an export streams.
     * Undefined when no sweep has run yet.
     */
    async *entries(): AsyncGenerator<RankingEntry & { score: number }> {
      const version = Number((await redis.get(currentKey)) ?? NaN);
      if (!Number.isFinite(version)) return;
      for (let shard = 0; shard < RANKING_SHARDS; shard++) {
        let cursor = '0';
        do {
          const [next, flat] = await redis.hscan(info(version, shard), cursor, 'COUNT', 500);
          cursor = next;
          const entries = Array.from({ length: flat.length / 2 }, (_, k) => rankingEntry.parse(JSON.parse(flat[2 * k + 1] as string)));
          for (const e of entries) yield { ...e, score: scoreOf(e) };
        } while (cursor !== '0');
      }
    },

    /** The current ranking's time, or undefined before the first sweep. */
    async version(): Promise<number | undefined> {
      const v = Number((await redis.get(currentKey)) ?? NaN);
      return Number.isFinite(v) ? v : undefined;
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
