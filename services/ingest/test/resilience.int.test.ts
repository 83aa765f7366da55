import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProfile } from '@leadscore/portrait';
import { services } from '@leadscore/tests/support/services.ts';
import { startPrivateServices, type PrivateServices } from '@leadscore/tests/support/private-services.ts';
import { ingestWorld, tracked, type IngestWorld } from './support.ts';

// This file stops Redis, so its worker uses a private Redis of its own.
let redis: PrivateServices;
let world: IngestWorld;
beforeAll(async () => {
  redis = await startPrivateServices(['redis']);
  world = await ingestWorld({ ...services(), redisUrl: redis.redisUrl }, 'resilience');
  Object.assign(world.env, { INGEST_STORE_TIMEOUT_MS: '500' });
});
afterAll(async () => {
  await world?.close();
  await redis?.destroy();
});

const page = (n: number, user = 'ann') => tracked({ type: 'page', userId: user, name: 'Pricing', messageId: `r-${user}-${n}`, timestamp: new Date(Date.UTC(2026, 10, 1) + n * 1000).toISOString() });

describe('when Redis is down', () => {
  it('pauses, retries with backoff, skips nothing, and catches up when Redis is back', async () => {
    const worker = await world.startWorker();
    await world.produce([page(1), page(2)]);
    await world.caughtUp();

    await redis.stop();
    await world.produce([page(3), page(4), page(5)]);
    await new Promise((r) => setTimeout(r, 2000));
    const committedWhileDown = await world.committed();
    expect(committedWhileDown).toBe(2);

    await redis.start();
    await world.caughtUp(60_000);
    expect((await readProfile(world.redis, world.ns, 'u:ann')).counts.page).toBe(5);
    expect(worker.output()).toMatch(/batch failed; partition paused, retrying/);
    await worker.stop();
  });
});

describe('SIGTERM', () => {
  it('finishes and commits the batch in hand, then exits 0', async () => {
    const worker = await world.startWorker();
    await world.produce(Array.from({ length: 300 }, (_, i) => page(i, 'bob')));
    await new Promise((r) => setTimeout(r, 200));
    const code = await worker.stop('SIGTERM');
    expect(code).toBe(0);
    expect(worker.output()).toMatch(/"msg":"shut down"/);
    // Whatever it applied, it committed: a new worker finds the rest, and nothing is counted twice.
    const next = await world.startWorker();
    await world.caughtUp();
    await next.stop();
    const bob = await readProfile(world.redis, world.ns, 'u:bob');
    expect(bob.counts.page).toBe(300);
    expect(bob.events).toBe(300);
  });
});
