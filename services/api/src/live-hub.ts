import { liveFeedKey, liveNotice, parseLiveNotice, profileKeys } from '@leadscore/portrait';
import type { Logger } from '@leadscore/log';
import type { Rules } from '@leadscore/scoring';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { changesStreamKey, readRankingEntries } from './ranking.ts';
import { hotRow, hotRowOf } from './schemas.ts';

/** What a dashboard is pushed about a lead: why (a tier change, an alert, a sweep's change) and its row as of now. */
export const liveMessage = liveNotice.extend({
  kind: z.enum(['tier', 'alert', 'change']),
  /** alert: its rule; change: what changed (tier, grade, stage or role). */
  rule: z.string().optional(),
  at: z.string(),
  entry: hotRow.nullable().describe('the lead\'s hot-list row as of now; null when it has no portrait'),
});
export type LiveMessage = z.infer<typeof liveMessage>;

/** Screens one API process pushes to at most: each holds a connection open. */
export const LIVE_CLIENTS_MAX = 500;
/** Stream entries read per round: a burst is pushed in rounds, each lead's row read once per round. */
const READ_COUNT = 500;

export class TooManyListeners extends Error {}

/**
 * Tails the live feed (what the ingest path changed: tiers, alerts) and the ranking's changes stream (decay, grade,
 * stage, role: what the sweeps found) with one blocking read on a connection of its own, reads each lead's row as of
 * now once, and hands the messages to every listener (the SSE connections). Listeners are capped; a slow one is the
 * HTTP layer's to drop.
 */
export function createLiveHub(deps: { readonly blocking: Redis; readonly redis: Redis; readonly namespace: string; readonly rules: () => Rules; readonly log: Logger; readonly now?: () => number }) {
  const listeners = new Set<(m: LiveMessage) => void>();
  const feed = liveFeedKey(deps.namespace);
  const changes = changesStreamKey(deps.namespace);
  let running = false;
  let stopped: Promise<void> | undefined;

  /** The newest id of a stream now ('0-0' when empty), so the hub starts at the present and misses nothing after. */
  const newestId = async (key: string) => (await deps.redis.xrevrange(key, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';

  async function messagesOf(reply: [string, [string, string[]][]][]): Promise<LiveMessage[]> {
    const raw: Omit<LiveMessage, 'entry'>[] = [];
    for (const [key, entries] of reply) {
      for (const [, fields] of entries) {
        if (key === feed) {
          const n = parseLiveNotice(fields);
          if (n) raw.push({ kind: n.kind, lead: n.lead, ...(n.from ? { from: n.from } : {}), ...(n.to ? { to: n.to } : {}), ...(n.rule ? { rule: n.rule } : {}), ...(n.action ? { action: n.action } : {}), at: new Date(n.at).toISOString() });
        } else {
          const c = z.object({ kind: z.string(), lead: z.string(), from: z.string(), to: z.string(), at: z.string() }).safeParse(JSON.parse(fields[1] ?? 'null'));
          if (c.success) raw.push({ kind: 'change', lead: c.data.lead, from: c.data.from, to: c.data.to, rule: c.data.kind, at: c.data.at });
        }
      }
    }
    // A lead erased since has no portrait: its message goes with no row (the screen drops it).
    const named = [...new Set(raw.map((m) => m.lead))];
    const exists = deps.redis.pipeline();
    for (const lead of named) exists.exists(profileKeys(deps.namespace, lead).state);
    const found = ((await exists.exec()) ?? []).map(([err, n]) => !err && n === 1);
    const leads = named.filter((_, i) => found[i]);
    const entries = await readRankingEntries(deps.redis, deps.namespace, leads, deps.rules(), (deps.now ?? Date.now)());
    const byLead = new Map(entries.map((e) => [e.lead, hotRowOf(e)]));
    return raw.map((m) => ({ ...m, entry: byLead.get(m.lead) ?? null }));
  }

  async function run(): Promise<void> {
    let ids = [await newestId(feed), await newestId(changes)];
    while (running) {
      try {
        const reply = (await deps.blocking.xread('COUNT', READ_COUNT, 'BLOCK', 2_000, 'STREAMS', feed, changes, ...ids)) as [string, [string, string[]][]][] | null;
        if (!reply || !running) continue;
        for (const [key, entries] of reply) {
          const last = entries.at(-1)?.[0];
          if (last) ids = key === feed ? [last, ids[1] as string] : [ids[0] as string, last];
        }
        if (listeners.size === 0) continue;
        for (const m of await messagesOf(reply)) for (const listener of listeners) listener(m);
      } catch (err) {
        if (!running) break;
        deps.log.warn({ err: (err as Error).message }, 'live feed read failed; trying again');
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      stopped = run();
    },
    /** Adds a listener; TooManyListeners past LIVE_CLIENTS_MAX. Returns its removal. */
    listen(listener: (m: LiveMessage) => void): () => void {
      if (listeners.size >= LIVE_CLIENTS_MAX) throw new TooManyListeners(`${LIVE_CLIENTS_MAX} screens are listening already`);
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get listeners(): number {
      return listeners.size;
    },
    async close(): Promise<void> {
      running = false;
      // The blocking read ends within its block time; disconnecting ends it at once.
      deps.blocking.disconnect();
      await stopped;
    },
  };
}
export type LiveHub = ReturnType<typeof createLiveHub>;
