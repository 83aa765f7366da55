import type { ClickHouseClient } from '@clickhouse/client';
import type { ScoringSettings } from '@leadscore/ingest/src/scoring-path.ts';
import type { Logger } from '@leadscore/log';
import { alertJobEntry, allLastSeenIndexKeys, BOUNDS, definePortraitScripts, type AlertSink, isLeadProfile, profileKeys, readLedger, readPortrait, readProfile, resolveProfile } from '@leadscore/portrait';
import type { Rules } from '@leadscore/scoring';
import type { Redis } from 'ioredis';
import { alertJobId, encodeEvent, type HotLeadJob, type TrackedEvent } from '@leadscore/events';
import { createIngestMetrics } from '@leadscore/ingest/src/metrics.ts';
import { createScoringPath } from '@leadscore/ingest/src/scoring-path.ts';
import type { Warehouse } from '@leadscore/ingest/src/warehouse.ts';
import type { KafkaMessage } from 'kafkajs';
import { leadDifferences, type LeadRecord } from './compare.ts';
import { countBetween, eventsBetween, type OffsetRange } from './event-source.ts';
import { createScratchReplay } from './replay.ts';
import { chooseInScratch, isChosenSubject, type Choice } from './choice.ts';
import { seedManualMerges } from './manual-merges.ts';
import { RescoreMismatch, rescoreRuns, type RescoreRun } from './rescore-run.ts';
import { dropScratch, scratchNamespace } from './scratch.ts';
import { planChosenSwap, swapAll, swapChosen, type ChosenSwap } from './swap.ts';

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
    const merges = await seedManualMerges(deps, scratch);
    const events = await replay.replay(eventsBetween(deps.clickhouse, deps.database, 0, options.now + 1), (done) => deps.onProgress?.(done, (performance.now() - began) / 1000), { merges });
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
  /** What a rescore of chosen leads or companies rebuilt (absent when it rebuilt everything). */
  readonly chosen?: { readonly leads: readonly string[]; readonly companies: readonly string[]; readonly profiles: number; readonly emails: number };
  /** Where a stopped rescore was resumed (absent for one that ran from the start). */
  readonly resumedFrom?: RescoreRun['stage'];
  readonly seconds: number;
}

const toOffsets = (m: ReadonlyMap<number, bigint>) => Object.fromEntries([...m].map(([p, o]) => [String(p), String(o)]));
const fromOffsets = (r: Readonly<Record<string, string>>) => new Map(Object.entries(r).map(([p, o]) => [Number(p), BigInt(o)]));

/**
 * Rescores in place while the ingest workers go on, every portrait or the chosen ones (choice.ts):
 *   1. the cutover: the ingest group's committed offsets C; every stored event before C per partition is replayed
 *      through the scoring path (as of each event's time) into a scratch namespace; its firings are marked there
 *      and recorded;
 *   2. the swap: each rebuilt key renamed over its live one (one atomic RENAME each; for chosen leads and companies,
 *      one MULTI per profile or company, see swap.ts);
 *   3. the catch-up: once the group has committed everything the topic held at the swap (H), the events from C to H
 *      are applied again through the live path: whatever the workers applied to the old keys meanwhile is applied to
 *      the new ones, and what they already applied to the new ones is a duplicate the portraits' dedup drops;
 *   4. the alerts: of the recorded firings (of the chosen subjects), only those fresh enough to fire now on the live
 *      path are added to the queue, under their job ids, which the queue keeps once; the rest stay marked, unsent.
 * Nothing is lost (every event is before C, between C and H, or reaches the new keys through the workers) and nothing
 * counts twice (the dedup sets are rebuilt with the portraits). Each step is recorded (rescore-run.ts): a rescore
 * stopped at any point resumes where it was when run again the same way.
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
    readonly onProgress?: (stage: string, done: number, total?: number) => void;
  },
  options: {
    readonly rules: Rules;
    readonly now?: () => number;
    readonly catchUpTimeoutMs?: number;
    readonly choose?: Choice;
    /** Drop a stopped rescore of other rules or another choice instead of refusing to start. */
    readonly restart?: boolean;
    /** For tests of resuming: called after each replayed batch is recorded; a throw stops the rescore there. */
    readonly afterBatch?: (replayed: number) => Promise<void>;
  },
): Promise<RescoreResult> {
  const began = performance.now();
  const clock = options.now ?? Date.now;
  const ns = deps.settings.namespace;
  const runs = rescoreRuns(deps.redis, ns);
  const choice = JSON.stringify(options.choose ?? {});
  await runs.lease();
  try {
    let stopped = await runs.read();
    if (stopped && (stopped.rules !== options.rules.version || stopped.choice !== choice)) {
      if (!options.restart) throw new RescoreMismatch(stopped);
      await dropScratch(deps.redis, stopped.scratch);
      await runs.drop();
      stopped = undefined;
    }
    const resumedFrom = stopped?.stage;
    let run: RescoreRun = stopped ?? { scratch: scratchNamespace(ns, 'rescore'), rules: options.rules.version, choice, cutover: toOffsets(await deps.topic.committed()), startedAt: clock(), stage: 'replay', replayed: 0 };
    await runs.save(run);
    const { scratch } = run;
    const cutover = fromOffsets(run.cutover);
    const horizon = clock() + 86_400_000;

    if (run.stage === 'replay') {
      const replay = createScratchReplay({ redis: deps.redis, settings: deps.settings, scratch, rules: options.rules, log: deps.log, onAlert: (firing) => runs.recordFirings([firing]) });
      const before: OffsetRange = new Map([...cutover].map(([p, to]) => [p, { from: 0n, to }]));
      const resumed = run.position !== undefined;
      // A stopped replay's last batch may have marked firings it had not recorded: the outbox's own recovery.
      const merges = resumed ? [] : await seedManualMerges(deps, scratch);
      if (resumed) await replay.recover();
      const total = await countBetween(deps.clickhouse, deps.database, 0, horizon, before);
      const already = run.replayed;
      let current = run;
      await replay.replay(eventsBetween(deps.clickhouse, deps.database, 0, horizon, before, run.position), (done) => deps.onProgress?.('replayed', already + done, total), {
        resumed,
        merges,
        onBatch: async (done, last) => {
          current = { ...current, replayed: already + done, position: { timestampMs: Date.parse(last.timestamp), messageId: last.messageId } };
          await runs.save(current);
          await options.afterBatch?.(current.replayed);
        },
      });
      run = { ...current, stage: 'swap' };
      if (options.choose) {
        const chosen = await chooseInScratch({ redis: deps.redis, clickhouse: deps.clickhouse, database: deps.database }, scratch, options.choose);
        const plan = await planChosenSwap(deps.redis, scratch, chosen);
        run = { ...run, plan: { leads: [...plan.leads], companies: [...plan.companies], profiles: [...plan.profiles], emails: [...plan.emails] } };
      }
      await runs.save(run);
    }

    let keys = 0;
    let swapped: ChosenSwap | undefined;
    if (run.stage === 'swap') {
      // The same hash tags, so the same cluster slots: all the rebuilt keys, or only the chosen leads' and companies'.
      if (run.plan) {
        swapped = await swapChosen(deps.redis, scratch, ns, run.plan);
        keys = swapped.keys;
        deps.onProgress?.('swapped keys', keys);
      } else keys = await swapAll(deps.redis, scratch, ns, (n) => deps.onProgress?.('swapped keys', n));
      run = { ...run, stage: 'catch-up', ends: toOffsets(await deps.topic.ends()) };
      await runs.save(run);
    }

    const ends = fromOffsets(run.ends ?? {});
    const deadline = Date.now() + (options.catchUpTimeoutMs ?? 600_000);
    for (;;) {
      const committed = await deps.topic.committed();
      if ([...ends].every(([p, end]) => (committed.get(p) ?? 0n) >= end)) break;
      if (Date.now() > deadline) throw new Error('the ingest workers did not commit the topic\'s end within the catch-up timeout; run the rescore again to resume it');
      await new Promise((r) => setTimeout(r, 200));
    }
    const caughtUp = await applyAgain(deps, options, new Map([...ends].map(([p, to]) => [p, { from: cutover.get(p) ?? 0n, to }])), horizon);

    const plan = run.plan;
    const chosen = plan ? { leads: new Set(plan.leads), companies: new Set(plan.companies) } : undefined;
    const latest = new Map<string, { job: HotLeadJob; at: number }>();
    for await (const f of runs.firings()) if (!chosen || isChosenSubject(chosen, f.job.lead)) latest.set(alertJobId(f.job.lead, f.job.rule, f.job.window), f);
    const fresh = [...latest.values()].filter(({ at }) => clock() - at <= deps.settings.alertFreshnessMs).map(({ job }) => job);
    if (fresh.length > 0) await deps.alerts.addBulk(fresh.map((job) => alertJobEntry(job, deps.settings.alertAttempts)));
    await dropScratch(deps.redis, scratch);
    await runs.drop();
    return {
      cutover: run.cutover,
      replayed: run.replayed,
      keys,
      caughtUp,
      sentNow: fresh.length,
      markedOnly: latest.size - fresh.length,
      ...(plan ? { chosen: { leads: plan.leads, companies: plan.companies, profiles: plan.profiles.length, emails: plan.emails.length } } : {}),
      ...(resumedFrom ? { resumedFrom } : {}),
      seconds: (performance.now() - began) / 1000,
    };
  } finally {
    await runs.release();
  }
}

/** The catch-up: events of an offset range applied again through the live path, in place (duplicates dropped). */
async function applyAgain(
  deps: { readonly redis: Redis; readonly clickhouse: ClickHouseClient; readonly database: string; readonly settings: ScoringSettings; readonly log: Logger; readonly alerts: AlertSink },
  options: { readonly rules: Rules; readonly now?: () => number },
  range: OffsetRange,
  horizon: number,
): Promise<number> {
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
  let applied = 0;
  let batch: TrackedEvent[] = [];
  const run = async () => {
    if (batch.length === 0) return;
    await live.processBatch({ topic: 'rescore', partition: 0, messages: batch.map((e, i) => ({ ...encodeEvent(e), offset: String(applied + i), timestamp: '0', attributes: 0, size: 0 }) as unknown as KafkaMessage), highWatermark: '0' });
    applied += batch.length;
    batch = [];
  };
  for await (const e of eventsBetween(deps.clickhouse, deps.database, 0, horizon, range)) {
    batch.push(e);
    if (batch.length >= 500) await run();
  }
  await run();
  return applied;
}
