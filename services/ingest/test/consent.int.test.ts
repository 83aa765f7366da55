import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProfile } from '@leadscore/portrait';
import { services } from '@leadscore/tests/support/services.ts';
import { ingestWorld, tracked, type IngestWorld, type Worker } from './support.ts';

/** A message that withholds consent and reached the topic anyway (a replayed dead letter) is dropped by the worker too. */
let world: IngestWorld;
let worker: Worker;
beforeAll(async () => {
  world = await ingestWorld(services(), 'consent', 1);
  worker = await world.startWorker();
  await world.produce([
    tracked({ type: 'page', messageId: 'c-yes', userId: 'ann', name: 'Pricing' }),
    tracked({ type: 'page', messageId: 'c-no', userId: 'ann', name: 'Pricing', context: { consent: { categoryPreferences: { Analytics: false } } } }),
  ]);
  await world.caughtUp(30_000);
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await world?.close();
});

describe('an event that withholds consent to analytics', () => {
  it('is neither scored nor stored', async () => {
    expect((await readProfile(world.redis, world.ns, 'u:ann')).counts).toEqual({ page: 1 });
    await expect.poll(() => world.count("SELECT count() FROM {db}.events WHERE message_id = 'c-yes'"), { timeout: 15_000 }).toBe(1);
    expect(await world.count("SELECT count() FROM {db}.events WHERE message_id = 'c-no'")).toBe(0);
  });
});
