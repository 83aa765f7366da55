import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_QUEUE, alertsQueuePrefix, type HotLeadJob } from '@leadscore/events';
import { createRedis } from '@leadscore/redis';
import { services } from '@leadscore/tests/support/services.ts';
import { ingestWorld, tracked, type IngestWorld, type Worker } from './support.ts';

/** Form alerts a source may raise an hour, across leads: a flood of fake leads through a public key is not a flood of alerts. */
let world: IngestWorld;
let worker: Worker;
let queue: Queue;
beforeAll(async () => {
  world = await ingestWorld(services(), 'form_limits', 1);
  worker = await world.startWorker({ INGEST_FORM_ALERTS_PER_SOURCE_PER_HOUR: '3' });
  queue = new Queue(ALERTS_QUEUE, { connection: createRedis(services().redisUrl), prefix: alertsQueuePrefix(world.ns) });
  await world.produce(
    Array.from({ length: 5 }, (_, i) =>
      tracked({ type: 'track', userId: `fake-${i}`, event: 'Form Submitted', messageId: `ff-${i}`, timestamp: new Date(Date.now() - 30_000 + i).toISOString(), properties: { form_id: 'demo-request' } }),
    ),
  );
  await world.caughtUp();
}, 60_000);
afterAll(async () => {
  await queue?.close();
  await worker?.stop();
  await world?.close();
});

describe('form alerts of one source', () => {
  it('stop at its hourly budget across leads, the rest refused and counted, each job naming the source', async () => {
    const jobs = (await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized'])).map((j) => j.data as HotLeadJob).filter((j) => j.rule === 'demo-request');
    expect(jobs).toHaveLength(3);
    for (const job of jobs) expect(job.evidence).toMatchObject({ formId: 'demo-request', source: 'web' });
    const metrics = await (await fetch(`http://127.0.0.1:${worker.metricsPort()}/metrics`)).text();
    expect(metrics).toMatch(/ingest_alerts_refused_total\{rule="demo-request",reason="source_limit"\} 2\n/);
  });
});
