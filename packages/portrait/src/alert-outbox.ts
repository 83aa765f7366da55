import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import { alertJobId, type HotLeadJob } from '@leadscore/events';
import type { Redis } from 'ioredis';
import type { Logger } from '@leadscore/log';
import { BOUNDS } from './bounds.ts';
import { encodeLastFired } from './read.ts';
import type { PortraitScripts } from './scripts.ts';
import { isFailure, runSteps, subjectKeys, type PortraitLayout } from './steps.ts';
import type { AlertCandidate } from '@leadscore/scoring';

const PENDING_SHARDS = 16;
const pendingIndexKey = (namespace: string, shard: number) => `${namespace}:idx:alerts_pending:{${shard}}`;
/** An entry of the pending index: JSON, since a lead id or a window may hold any character. */
const pendingEntry = (lead: string, field: string) => JSON.stringify([lead, field]);

/** Where a pending firing's marker is: the subject's alerts hash and the field in it. */
interface MarkerAt {
  readonly lead: string;
  readonly field: string;
}

/**
 * The markers an index entry may stand for. JSON never holds a raw tab (it escapes control characters), so an entry
 * with one was written before entries were JSON, as '<lead>\t<field>'; telling them apart by the tab rather than by
 * a leading '[' keeps a legacy lead id such as '[x' from being parsed as JSON (whose error would stop the start).
 * A legacy entry whose lead id or window holds a tab splits more than one way: every split before an 'alert:' field
 * is a candidate, and `recover` takes the one whose marker is pending, so such an alert is not dropped either.
 */
function markersOf(entry: string): MarkerAt[] {
  if (!entry.includes('\t')) return fromJson(entry);
  const candidates: MarkerAt[] = [];
  for (let tab = entry.indexOf('\t'); tab !== -1; tab = entry.indexOf('\t', tab + 1)) {
    const field = entry.slice(tab + 1);
    if (field.startsWith('alert:')) candidates.push({ lead: entry.slice(0, tab), field });
  }
  return candidates;
}

function fromJson(entry: string): MarkerAt[] {
  try {
    const value: unknown = JSON.parse(entry);
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') return [{ lead: value[0], field: value[1] }];
  } catch {
    // Not an entry this outbox writes; reported by `recover` with the others it cannot read.
  }
  return [];
}

/** Markers kept per subject at most, and how long an enqueued one is kept (see markAlert-2.lua). */
export const MARKER_CAP = BOUNDS.markerCap;

/**
 * A hot-lead job as the queue takes it: its deterministic id (the same firing is one job however often it is added),
 * and retries by the alerts service's own backoff; a job out of attempts stays failed, listed and redeliverable.
 */
export function alertJobEntry(job: HotLeadJob, attempts = 8) {
  return { name: job.rule, data: job, opts: { attempts, backoff: { type: 'custom' }, removeOnComplete: { age: 7 * 86_400 }, removeOnFail: false, jobId: alertJobId(job.lead, job.rule, job.window) } };
}

/** Where the outbox sends jobs: the alerts queue (BullMQ), or a replay's recorder. */
export type AlertSink = Pick<Queue, 'addBulk'>;

export interface Firing {
  /** The lead, or `c:<company>`. */
  readonly lead: string;
  readonly company?: string;
  readonly candidate: AlertCandidate;
  readonly messageId: string;
  readonly rulesVersion: string;
}

/**
 * The outbox between a subject's state and the queue, which live in different Redis slots: the subject's script
 * marks a firing pending (once per subject, rule and window), the job is added under a deterministic id, then the
 * marker says enqueued. A crash in between leaves the marker pending, and `recover` enqueues it again on start; a
 * failed enqueue is tried again with the next firings of this process.
 */
export function createAlertOutbox(deps: { layout: PortraitLayout; redis: Redis; scripts: PortraitScripts; queue: AlertSink; log: Logger; attempts?: number; markerRetentionMs: number; now?: () => number }) {
  const { redis, scripts, queue, log } = deps;
  const ns = deps.layout.namespace;
  const clock = deps.now ?? Date.now;
  const shardOf = (id: string) => createHash('sha1').update(id).digest().readUInt16BE(0) % PENDING_SHARDS;
  const keysOf = (subject: string) => subjectKeys(ns, subject);
  /** Jobs marked whose enqueue failed: sent again before the next firings. */
  let unsent: { job: HotLeadJob; field: string }[] = [];

  async function enqueue(jobs: { job: HotLeadJob; field: string }[]): Promise<void> {
    if (jobs.length === 0) return;
    try {
      await queue.addBulk(jobs.map(({ job }) => alertJobEntry(job, deps.attempts)));
    } catch (err) {
      unsent = [...unsent, ...jobs];
      throw err;
    }
    const done = redis.pipeline();
    const at = String(clock());
    for (const { job, field } of jobs) {
      done.hset(keysOf(job.lead).alerts, field, `enqueued\t${at}`);
      done.srem(pendingIndexKey(ns, shardOf(job.lead)), pendingEntry(job.lead, field));
    }
    await done.exec();
  }

  const pendingJob = (marker: string | null | undefined): HotLeadJob | undefined => {
    const m = marker ? /^pending\t\d+\t/.exec(marker) : null;
    return m ? (JSON.parse((marker as string).slice(m[0].length)) as HotLeadJob) : undefined;
  };

  /** The firing an index entry stands for, while its marker is still pending. */
  async function pendingOf(entry: string): Promise<{ job: HotLeadJob; field: string } | undefined> {
    for (const { lead, field } of markersOf(entry)) {
      const job = pendingJob(await redis.hget(keysOf(lead).alerts, field));
      if (job) return { job, field };
    }
    return undefined;
  }

  return {
    /** Marks and enqueues firings; those already marked are enqueued again only while still pending. */
    async fire(firings: readonly Firing[]): Promise<number> {
      const retry = unsent;
      unsent = [];
      await enqueue(retry);
      if (firings.length === 0) return retry.length;
      const now = clock();
      const marks = firings.map(({ lead, company, candidate, messageId, rulesVersion }) => {
        const job: HotLeadJob = { lead, ...(company ? { company } : {}), rule: candidate.ruleId, kind: candidate.kind, window: candidate.window, action: candidate.action, evidence: candidate.evidence, messageId, rulesVersion, firedAt: new Date(now).toISOString() };
        return {
          kind: 'markAlert' as const,
          subject: lead,
          ruleId: candidate.ruleId,
          window: candidate.window,
          job: JSON.stringify(job),
          lastFired: candidate.lastFired ? encodeLastFired(candidate.lastFired) : '',
          retentionMs: deps.markerRetentionMs,
          cap: MARKER_CAP,
          entry: { job, field: `alert:${candidate.ruleId}:${candidate.window}` },
        };
      });
      // Indexed before marked: a crash after the mark leaves a pending marker that `recover` can find.
      const index = redis.pipeline();
      for (const { entry } of marks) index.sadd(pendingIndexKey(ns, shardOf(entry.job.lead)), pendingEntry(entry.job.lead, entry.field));
      for (const [err] of (await index.exec()) ?? []) if (err) throw err;
      const toSend: { job: HotLeadJob; field: string }[] = [];
      const settled = redis.pipeline();
      for (const { step, outcome } of await runSteps(redis, scripts, deps.layout, marks, now)) {
        if (isFailure(outcome)) throw outcome.error;
        if (step.kind !== 'markAlert') continue;
        const { entry } = step as (typeof marks)[number];
        const pending = outcome.status === 'exists' ? pendingJob(outcome.marker) : undefined;
        if (outcome.status === 'new') toSend.push(entry);
        else if (pending) toSend.push({ job: pending, field: entry.field });
        else settled.srem(pendingIndexKey(ns, shardOf(entry.job.lead)), pendingEntry(entry.job.lead, entry.field));
      }
      if (settled.length > 0) await settled.exec();
      await enqueue(toSend);
      for (const { job } of toSend) log.info({ leadId: job.lead, rule: job.rule, window: job.window, eventId: job.messageId }, 'hot-lead alert enqueued');
      return retry.length + toSend.length;
    },

    /** Enqueues the firings a crash left pending. */
    async recover(): Promise<number> {
      const jobs: { job: HotLeadJob; field: string }[] = [];
      for (let shard = 0; shard < PENDING_SHARDS; shard++) {
        for (const entry of await redis.smembers(pendingIndexKey(ns, shard))) {
          const pending = await pendingOf(entry);
          if (pending) jobs.push(pending);
          else {
            if (markersOf(entry).length === 0) log.warn({ entry: entry.slice(0, 200) }, 'unreadable entry in the pending-alerts index dropped');
            await redis.srem(pendingIndexKey(ns, shard), entry);
          }
        }
      }
      await enqueue(jobs);
      if (jobs.length > 0) log.warn({ count: jobs.length }, 'enqueued hot-lead alerts left pending by a crash');
      return jobs.length;
    },
  };
}

export type AlertOutbox = ReturnType<typeof createAlertOutbox>;
