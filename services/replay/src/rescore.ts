import type { ClickHouseClient } from '@clickhouse/client';
import type { ScoringSettings } from '@leadscore/ingest/src/scoring-path.ts';
import type { Logger } from '@leadscore/log';
import { alertJobEntry, allLastSeenIndexKeys, BOUNDS, definePortraitScripts, type AlertSink, isLeadProfile, profileKeys, readLedger, readPortrait, readProfile, resolveProfile } from '@leadscore/portrait';
import type { Rules } from '@leadscore/scoring';
import type { Redis } from 'ioredis';
import { encodeEvent, type HotLeadJob, type TrackedEvent } from '@leadscore/events';
import { createIngestMetrics } from '@leadscore/ingest/src/metrics.ts';
import { createScoringPath } from '@leadscore/ingest/src/scoring-path.ts';
import type { Warehouse } from '@leadscore/ingest/src/warehouse.ts';
import type { KafkaMessage } from 'kafkajs';
import { leadDifferences, type LeadRecord } from './compare.ts';
import { eventsBetween, type OffsetRange } from './event-source.ts';
import { createScratchReplay } from './replay.ts';
import { dropScratch, scratchKeys, scratchNamespace } from './scratch.ts';

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
  const scratch = scratchNamespace(deps.settings.namespace, 'rescore');
  const replay = createScratchReplay({ redis: deps.redis, settings: deps.settings, scratch, rules: options.rules, log: deps.log, onAlert: () => {} });
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
    await dropScratch(deps.redis, scratch);
  }
}

/** The ingest group's position on the events topic, and the topic's ends: where a rescore cuts over. */
export interface TopicPosition {
  /** Committed offsets per partition (the next record each will read). */
  committed(): Promise<Map<number, bigint>>;
  /** Each partition's end offset now. */
  ends(): Promise<Map<number, bigint>>;
}

export interface RescoreResult {
  readonly cutover: Record<string, string>;
  readonly replayed: number;
  readonly keys: number;
  readonly caughtUp: number;
  /** Firings of the replay fresh enough that the live path would send them now (added under their job ids). */
  readonly sentNow: number;
  /** Firings of the past the replay marked and did not send. */
  readonly markedOnly: number;
  readonly seconds: number;
}

/**
 * Rescores the whole namespace in place while the ingest workers go on:
 *   1. the cutover: the ingest group's committed offsets C; every stored event before C per partition is replayed
 *      through the scoring path (as of each event's time) into a scratch namespace; its firings are marked there,
 *      and only those fresh enough to fire now on the live path are added to the queue (under their job ids, which
 *      the queue keeps once);
 *   2. the swap: each rebuilt key renamed over its live one (one atomic RENAME each);
 *   3. the catch-up: once the group has committed everything the topic held at the swap (H), the events from C to H
 *      are applied again through the live path: whatever the workers applied to the old keys meanwhile is applied to
 *      the new ones, and what they already applied to the new ones is a duplicate the portraits' dedup drops.
 * Nothing is lost (every event is before C, between C and H, or reaches the new keys through the workers) and nothing
 * counts twice (the dedup sets are rebuilt with the portraits).
 */
export async function rescoreInPlace(
  deps: {
    readonly redis: Redis;
    readonly clickhouse: ClickHouseClient;
    readonly database: string;
    readonly settings: ScoringSettings;
    readonly log: Logger;
    readonly topic: TopicPosition;
    readonly alerts: AlertSink;
    readonly onProgress?: (stage: string, done: number) => void;
  },
  options: { readonly rules: Rules; readonly now?: () => number; readonly catchUpTimeoutMs?: number },
): Promise<RescoreResult> {
  const began = performance.now();
  const clock = options.now ?? Date.now;
  const ns = deps.settings.namespace;
  const scratch = scratchNamespace(ns, 'rescore');
  const cutover = await deps.topic.committed();
  const fresh: HotLeadJob[] = [];
  let markedOnly = 0;
  const replay = createScratchReplay({
    redis: deps.redis,
    settings: deps.settings,
    scratch,
    rules: options.rules,
    log: deps.log,
    onAlert: ({ job, at }) => {
      if (clock() - at <= deps.settings.alertFreshnessMs) fresh.push(job);
      else markedOnly++;
    },
  });
  const before: OffsetRange = new Map([...cutover].map(([p, to]) => [p, { from: 0n, to }]));
  try {
    const replayed = await replay.replay(eventsBetween(deps.clickhouse, deps.database, 0, clock() + 86_400_000, before), (done) => deps.onProgress?.('replayed', done));
    // The swap: scratch keys renamed over the live ones (the same hash tags, so the same cluster slots).
    let keys = 0;
    for await (const found of scratchKeys(deps.redis, scratch, 1000)) {
      const rename = deps.redis.pipeline();
      for (const key of found) rename.rename(key, `${ns}:${key.slice(scratch.length + 1)}`);
      // SCAN may give a key twice; the second RENAME finds it gone, which is no failure.
      for (const [err] of (await rename.exec()) ?? []) if (err && !/no such key/i.test(err.message)) throw err;
      keys += found.length;
      deps.onProgress?.('swapped keys', keys);
    }
    // Rescanning after renames may meet a key twice or miss none: SCAN guarantees every key present throughout.
    const ends = await deps.topic.ends();
    const deadline = Date.now() + (options.catchUpTimeoutMs ?? 600_000);
    for (;;) {
      const committed = await deps.topic.committed();
      if ([...ends].every(([p, end]) => (committed.get(p) ?? 0n) >= end)) break;
      if (Date.now() > deadline) throw new Error('the ingest workers did not commit the topic\'s end within the catch-up timeout; run the rescore again (it is idempotent)');
      await new Promise((r) => setTimeout(r, 200));
    }
    const live = createScoringPath(deps.settings, {
      redis: deps.redis,
      scripts: definePortraitScripts(deps.redis),
      rules: () => options.rules,
      alerts: deps.alerts,
      warehouse: { write: async () => new Map() } as unknown as Warehouse,
      sendDeadLetters: async () => {},
      metrics: createIngestMetrics(),
      log: deps.log,
      ...(options.now ? { now: options.now } : {}),
    });
    const between: OffsetRange = new Map([...ends].map(([p, to]) => [p, { from: cutover.get(p) ?? 0n, to }]));
    let caughtUp = 0;
    let batch: TrackedEvent[] = [];
    const run = async () => {
      if (batch.length === 0) return;
      await live.processBatch({ topic: 'rescore', partition: 0, messages: batch.map((e, i) => ({ ...encodeEvent(e), offset: String(caughtUp + i), timestamp: '0', attributes: 0, size: 0 }) as unknown as KafkaMessage), highWatermark: '0' });
      caughtUp += batch.length;
      batch = [];
    };
    for await (const e of eventsBetween(deps.clickhouse, deps.database, 0, clock() + 86_400_000, between)) {
      batch.push(e);
      if (batch.length >= 500) await run();
    }
    await run();
    if (fresh.length > 0) await deps.alerts.addBulk(fresh.map((job) => alertJobEntry(job, deps.settings.alertAttempts)));
    return {
      cutover: Object.fromEntries([...cutover].map(([p, o]) => [String(p), String(o)])),
      replayed,
      keys,
      caughtUp,
      sentNow: fresh.length,
      markedOnly,
      seconds: (performance.now() - began) / 1000,
    };
  } finally {
    await dropScratch(deps.redis, scratch);
  }
}
