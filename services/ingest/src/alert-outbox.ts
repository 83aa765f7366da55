import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import { alertJobId, type HotLeadJob } from '@leadscore/events';
import type { Redis } from 'ioredis';
import type { Logger } from '@leadscore/log';
import { companyKeys, profileKeys, type PortraitScripts } from '@leadscore/portrait';
import type { AlertCandidate } from '@leadscore/scoring';

const PENDING_SHARDS = 16;
const pendingIndexKey = (namespace: string, shard: number) => `${namespace}:idx:alerts_pending:{${shard}}`;

/**
 * The outbox between a lead's state and the queue, which live in different Redis slots: the lead's script marks a
 * firing pending (once per lead, rule and window), the job is added under a deterministic id, then the marker says
 * enqueued. A crash in between leaves the marker pending, and `recover` enqueues it again on start.
 */
export function createAlertOutbox(deps: { namespace: string; redis: Redis; scripts: PortraitScripts; queue: Queue; log: Logger; attempts?: number }) {
  const { namespace: ns, redis, scripts, queue, log } = deps;
  // Retried by the alerts service with its own backoff (Retry-After aware); a job out of attempts stays failed,
  // listed and redeliverable, never removed.
  const jobOptions = { attempts: deps.attempts ?? 8, backoff: { type: 'custom' }, removeOnComplete: { age: 7 * 86_400 }, removeOnFail: false };
  const shardOf = (id: string) => createHash('sha1').update(id).digest().readUInt16BE(0) % PENDING_SHARDS;

  /** Where a subject's markers live: a lead's state, or a company's. */
  const stateKeyOf = (subject: string) => (subject.startsWith('c:') ? companyKeys(ns, subject.slice(2)).state : profileKeys(ns, subject).state);

  async function enqueue(jobs: { job: HotLeadJob; field: string }[]): Promise<void> {
    if (jobs.length === 0) return;
    await queue.addBulk(jobs.map(({ job }) => ({ name: job.rule, data: job, opts: { ...jobOptions, jobId: alertJobId(job.lead, job.rule, job.window) } })));
    const done = redis.pipeline();
    for (const { job, field } of jobs) {
      done.hset(stateKeyOf(job.lead), field, 'enqueued');
      done.srem(pendingIndexKey(ns, shardOf(job.lead)), `${job.lead}\t${field}`);
    }
    await done.exec();
  }

  return {
    /** Marks and enqueues firings; those already marked are enqueued again only while still pending. */
    async fire(firings: { lead: string; company?: string; candidate: AlertCandidate; messageId: string; rulesVersion: string }[]): Promise<number> {
      if (firings.length === 0) return 0;
      const pipeline = redis.pipeline();
      const jobs = firings.map(({ lead, company, candidate, messageId, rulesVersion }) => {
        const job: HotLeadJob = { lead, ...(company ? { company } : {}), rule: candidate.ruleId, kind: candidate.kind, window: candidate.window, action: candidate.action, evidence: candidate.evidence, messageId, rulesVersion, firedAt: new Date().toISOString() };
        const field = `alert:${candidate.ruleId}:${candidate.window}`;
        pipeline.sadd(pendingIndexKey(ns, shardOf(lead)), `${lead}\t${field}`);
        const last = candidate.lastFired ? `${candidate.lastFired.runStart}|${candidate.lastFired.day}` : '';
        scripts.markAlert.queue(pipeline, [stateKeyOf(lead)], [candidate.ruleId, candidate.window, JSON.stringify(job), last]);
        return { job, field };
      });
      const replies = ((await pipeline.exec()) ?? []).map(([err, value]) => {
        if (err) throw err;
        return value as string[];
      });
      const toSend: { job: HotLeadJob; field: string }[] = [];
      const settled = redis.pipeline();
      jobs.forEach((entry, i) => {
        const reply = replies[i * 2 + 1] as string[];
        if (reply[0] === 'new') toSend.push(entry);
        else if (reply[1]?.startsWith('pending\t')) toSend.push({ job: JSON.parse(reply[1].slice('pending\t'.length)) as HotLeadJob, field: entry.field });
        else settled.srem(pendingIndexKey(ns, shardOf(entry.job.lead)), `${entry.job.lead}\t${entry.field}`);
      });
      if (settled.length > 0) await settled.exec();
      await enqueue(toSend);
      for (const { job } of toSend) log.info({ leadId: job.lead, rule: job.rule, window: job.window, eventId: job.messageId }, 'hot-lead alert enqueued');
      return toSend.length;
    },

    /** Enqueues the firings a crash left pending. */
    async recover(): Promise<number> {
      const jobs: { job: HotLeadJob; field: string }[] = [];
      for (let shard = 0; shard < PENDING_SHARDS; shard++) {
        for (const entry of await redis.smembers(pendingIndexKey(ns, shard))) {
          const [lead, field] = entry.split('\t') as [string, string];
          const marker = await redis.hget(stateKeyOf(lead), field);
          if (marker?.startsWith('pending\t')) jobs.push({ job: JSON.parse(marker.slice('pending\t'.length)) as HotLeadJob, field });
          else await redis.srem(pendingIndexKey(ns, shard), entry);
        }
      }
      await enqueue(jobs);
      if (jobs.length > 0) log.warn({ count: jobs.length }, 'enqueued hot-lead alerts left pending by a crash');
      return jobs.length;
    },
  };
}

export type AlertOutbox = ReturnType<typeof createAlertOutbox>;
