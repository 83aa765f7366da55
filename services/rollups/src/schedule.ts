import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from '@leadscore/log';

/** How a scheduled run went: published, or skipped because another worker was running one. */
export type RunOutcome = { readonly published: true; readonly asOf: Date } | { readonly published: false; readonly reason: string };

/**
 * The snapshot schedule: a BullMQ job scheduler adds one job per interval whichever workers run, and each job is
 * taken by one worker. The job's planned time (kept across retries) is the snapshot's reference time, to the second,
 * so a retried run computes the same snapshot. A failed run is retried with backoff, logged and counted; one that
 * fails every attempt stays failed in the queue with its reason.
 */
export async function startSchedule(deps: {
  readonly queueName: string;
  readonly prefix: string;
  readonly connection: ConnectionOptions;
  readonly workerConnection: ConnectionOptions;
  readonly everyMs: number;
  readonly attempts?: number;
  readonly run: (asOf: Date) => Promise<RunOutcome>;
  readonly onOutcome: (outcome: 'published' | 'skipped' | 'failed', job: Job, err?: Error) => void;
  readonly log: Logger;
}) {
  const queue = new Queue(deps.queueName, { connection: deps.connection, prefix: deps.prefix });
  await queue.upsertJobScheduler(
    'snapshot',
    { every: deps.everyMs },
    { name: 'snapshot', opts: { attempts: deps.attempts ?? 3, backoff: { type: 'exponential', delay: Math.min(30_000, Math.max(1_000, Math.floor(deps.everyMs / 10))) }, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
  );
  const worker = new Worker(
    deps.queueName,
    async (job) => {
      // When the scheduler planned it: its creation time plus the delay it waited for.
      const asOf = new Date(Math.floor((job.timestamp + (job.opts.delay ?? 0)) / 1000) * 1000);
      const outcome = await deps.run(asOf);
      deps.onOutcome(outcome.published ? 'published' : 'skipped', job);
      return outcome.published ? { asOf: asOf.toISOString() } : { skipped: outcome.reason };
    },
    { connection: deps.workerConnection, prefix: deps.prefix, concurrency: 1 },
  );
  worker.on('failed', (job, err) => {
    if (!job) return;
    deps.onOutcome('failed', job, err);
    const left = (job.opts.attempts ?? 1) - job.attemptsMade;
    deps.log.error({ err, jobId: job.id, attempt: job.attemptsMade, attemptsLeft: left }, left > 0 ? 'rollup snapshot failed; it will be retried' : 'rollup snapshot failed on its last attempt');
  });
  return {
    queue,
    worker,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
