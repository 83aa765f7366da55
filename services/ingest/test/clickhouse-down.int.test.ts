import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProfile } from '@leadscore/portrait';
import { services } from '@leadscore/tests/support/services.ts';
import { startPrivateServices, type PrivateServices } from '@leadscore/tests/support/private-services.ts';
import { ingestWorld, tracked, type IngestWorld } from './support.ts';

// This file stops ClickHouse, so its worker uses a private ClickHouse of its own.
let clickhouse: PrivateServices;
let world: IngestWorld;
beforeAll(async () => {
  clickhouse = await startPrivateServices(['clickhouse']);
  world = await ingestWorld({ ...services(), clickhouseUrl: clickhouse.clickhouseUrl }, 'clickhouse_down');
});
afterAll(async () => {
  await world?.close();
  await clickhouse?.destroy();
});

const page = (n: number) => tracked({ type: 'page', userId: 'ann', name: 'Pricing', messageId: `ch-${n}`, timestamp: new Date(Date.UTC(2026, 10, 1) + n * 1000).toISOString() });
const until = async (what: string, ok: () => Promise<boolean>, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('when ClickHouse is down', () => {
  it('keeps the portraits live, commits nothing it has not inserted, and inserts everything once when ClickHouse is back', async () => {
    const worker = await world.startWorker();
    await world.produce([page(1), page(2)]);
    await world.caughtUp();

    await clickhouse.stop();
    await world.produce([page(3), page(4), page(5)]);
    // The portraits do not wait for ClickHouse: sales see the visits while the warehouse is away.
    await until('the portrait counts the visits made while ClickHouse is down', async () => (await readProfile(world.redis, world.ns, 'u:ann')).counts.page === 5);
    await until('the worker finds ClickHouse down', async () => /ClickHouse insert of a batch failed; retrying/.test(worker.output()));
    expect(await world.committed()).toBe(2);

    await clickhouse.start();
    await world.caughtUp(90_000);
    expect(await world.count('SELECT count() FROM {db}.events')).toBe(5);
    expect((await readProfile(world.redis, world.ns, 'u:ann')).events).toBe(5);
    await worker.stop();
  });
});
