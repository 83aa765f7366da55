import { literal, quoteIdentifier, type SqlExecutor } from '@leadscore/clickhouse/sql';
import { alertJobId, hotLeadJobSchema, type HotLeadJob } from '@leadscore/events';
import { profileKeys, readAlertMarkers, resolveProfile } from '@leadscore/portrait';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';

/** How long an acknowledgement is kept: longer than the queue keeps a delivered job (7 days). */
const ACK_KEEP_SECONDS = 30 * 86_400;
/** A lead's alerts listed at most (its markers are capped too: BOUNDS.markerCap). */
const LEAD_ALERTS_SHOWN = 50;

export const alertsQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });
export const alertParams = z.object({ id: z.string().min(1).max(200).regex(/^[A-Za-z0-9_-]+$/, 'expected an alert id as GET /alerts gives it') });
export const ackBody = z.object({ by: z.string().trim().min(1, 'say who took it').max(200) });

const ack = z.object({ by: z.string(), at: z.string() });
export const alertsAnswer = z.object({
  alerts: z.array(
    z.object({
      id: z.string(),
      lead: z.string(),
      company: z.string().nullable(),
      rule: z.string(),
      kind: z.string(),
      action: z.string(),
      firedAt: z.string(),
      state: z.string().describe('the job\'s state in the queue: waiting, active, delayed, completed or failed'),
      failedReason: z.string().nullable(),
      channels: z.array(z.object({ channel: z.string(), outcome: z.string(), attempts: z.number(), lastAt: z.string() })),
      ack: ack.nullable(),
    }),
  ),
});
export const ackAnswer = z.object({ id: z.string(), ack });

const delivery = z.object({ job_id: z.string(), channel: z.string(), outcome: z.string(), attempts: z.coerce.number(), last_at: z.string() });

/** Recent alerts from the queue, with each channel's latest delivery outcome (ClickHouse) and who acknowledged it. */
export function createAlertsView(deps: { readonly queue: Queue; readonly redis: Redis; readonly exec: SqlExecutor; readonly database: string; readonly namespace: string }) {
  const ackKey = (id: string) => `${deps.namespace}:alerts:ack:${id}`;
  type Listed = { job: Job; data: HotLeadJob };
  /** Jobs as the API lists them: newest first, each with its channels' latest outcomes and its acknowledgement. */
  async function describe(listed: readonly Listed[]): Promise<z.infer<typeof alertsAnswer>> {
    const jobs = [...listed].sort((a, b) => (a.data.firedAt < b.data.firedAt ? 1 : a.data.firedAt > b.data.firedAt ? -1 : 0));
    const ids = jobs.map((x) => String(x.job.id));
    const db = quoteIdentifier(deps.database).text;
    const deliveries =
      ids.length === 0
        ? []
        : (
            await deps.exec.rows(
              `SELECT job_id, channel, argMax(outcome, (attempt, at)) AS outcome, max(attempt) AS attempts, toString(max(at)) AS last_at
FROM ${db}.alert_deliveries WHERE job_id IN (${ids.map(literal).join(', ')}) GROUP BY job_id, channel ORDER BY channel`,
            )
          ).map((r) => delivery.parse(r));
    const acks = ids.length === 0 ? [] : await deps.redis.mget(...ids.map(ackKey));
    const ackOf = new Map(ids.map((id, i) => [id, acks[i]]));
    return {
      alerts: await Promise.all(
        jobs.map(async ({ job, data: d }) => {
          const id = String(job.id);
          const acked = ackOf.get(id);
          return {
            id,
            lead: d.lead,
            company: d.company ?? null,
            rule: d.rule,
            kind: d.kind,
            action: d.action,
            firedAt: d.firedAt,
            state: await job.getState(),
            failedReason: job.failedReason ?? null,
            channels: deliveries.filter((x) => x.job_id === id).map((x) => ({ channel: x.channel, outcome: x.outcome, attempts: x.attempts, lastAt: `${x.last_at.replace(' ', 'T')}Z` })),
            ack: acked ? ack.parse(JSON.parse(acked)) : null,
          };
        }),
      ),
    };
  }
  const listed = (jobs: readonly (Job | undefined)[]): Listed[] =>
    jobs.flatMap((job) => {
      const data = job?.id === undefined ? undefined : hotLeadJobSchema.safeParse(job.data);
      return job && data?.success ? [{ job, data: data.data }] : [];
    });

  return {
    async recent(limit: number): Promise<z.infer<typeof alertsAnswer>> {
      const jobs = listed(await deps.queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'], 0, limit * 2 - 1));
      return describe(jobs.sort((a, b) => (a.data.firedAt < b.data.firedAt ? 1 : -1)).slice(0, limit));
    },

    /**
     * A lead's alerts: its outbox markers name them (the queue is not indexed by lead), newest first; markers and
     * delivered jobs are kept about a week. Undefined when nothing is known of the lead.
     */
    async forLead(id: string): Promise<z.infer<typeof alertsAnswer> | undefined> {
      const lead = await resolveProfile(deps.redis, deps.namespace, id);
      if ((await deps.redis.exists(profileKeys(deps.namespace, lead).state)) === 0) return undefined;
      const markers = (await readAlertMarkers(deps.redis, deps.namespace, lead)).slice(0, LEAD_ALERTS_SHOWN);
      return describe(listed(await Promise.all(markers.map((m) => deps.queue.getJob(alertJobId(lead, m.rule, m.window))))));
    },

    /** Records who took an alert; undefined when the queue has no such alert. */
    async acknowledge(id: string, by: string, now = new Date()): Promise<z.infer<typeof ackAnswer> | undefined> {
      if (!(await deps.queue.getJob(id))) return undefined;
      const value = { by, at: now.toISOString() };
      await deps.redis.set(ackKey(id), JSON.stringify(value), 'EX', ACK_KEEP_SECONDS);
      return { id, ack: value };
    },
  };
}
export type AlertsView = ReturnType<typeof createAlertsView>;
