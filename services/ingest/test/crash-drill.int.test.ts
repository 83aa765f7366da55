import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProfile } from '@leadscore/portrait';
import { services } from '@leadscore/tests/support/services.ts';
import { ingestWorld, tracked, type IngestWorld } from './support.ts';

/**
 * A worker killed with SIGKILL mid-batch, again and again, then left to finish: nothing lost, nothing counted twice,
 * in Redis or in ClickHouse. The worker lingers its ClickHouse inserts (the default), so each kill finds batches
 * applied to the portraits whose rows were not inserted and whose offsets were not committed. DRILL_EVENTS and
 * DRILL_KILLS make it longer (the CI run keeps it short).
 */
const LEADS = 40;
const PER_LEAD = Number(process.env.DRILL_EVENTS ?? 8000) / LEADS;
const KILLS = Number(process.env.DRILL_KILLS ?? 3);

let world: IngestWorld;
beforeAll(async () => {
  world = await ingestWorld(services(), 'crash_drill', 4);
  // Small batches, so that the work is many batches and a kill lands between some and inside others.
  Object.assign(world.env, { INGEST_MAX_BATCH_BYTES: '65536' });
});
afterAll(async () => {
  await world?.close();
});

describe('a worker killed mid-batch and restarted, several times', () => {
  it('loses nothing and counts nothing twice', { timeout: 240_000 }, async () => {
    const base = Date.UTC(2026, 10, 1);
    const events = [];
    for (let i = 0; i < PER_LEAD; i++) {
      for (let lead = 0; lead < LEADS; lead++) {
        const n = i * LEADS + lead;
        events.push(
          n % 10 === 0
            ? tracked({ type: 'track', userId: `lead-${lead}`, event: 'Order Completed', messageId: `d-${n}`, timestamp: new Date(base + n * 1000).toISOString(), properties: { order_id: `o-${n}`, revenue: 10, currency: 'USD' } })
            : tracked({ type: 'page', userId: `lead-${lead}`, name: 'Pricing', messageId: `d-${n}`, timestamp: new Date(base + n * 1000).toISOString() }),
        );
      }
    }
    for (let i = 0; i < events.length; i += 500) await world.produce(events.slice(i, i + 500));

    const progress: number[] = [];
    /** Per kill: events in the portraits beyond the committed offsets, i.e. applied while their rows lingered. */
    const ahead: number[] = [];
    const appliedInRedis = async () => {
      let n = 0;
      for (let lead = 0; lead < LEADS; lead++) n += (await readProfile(world.redis, world.ns, `u:lead-${lead}`)).events;
      return n;
    };
    for (let round = 0; round < KILLS; round++) {
      // Kill it without warning once it has applied its share of the work (a third, two thirds, …, of the events in
      // the portraits): its latest batches' rows still linger, their offsets uncommitted.
      const share = Math.floor(((round + 1) * events.length) / (KILLS + 1));
      const worker = await world.startWorker();
      while ((await appliedInRedis()) < share) await new Promise((r) => setTimeout(r, 10));
      await worker.stop('SIGKILL');
      progress.push(await world.committed());
      ahead.push((await appliedInRedis()) - (progress.at(-1) as number));
    }
    // The kills fell before the end of the work, and while rows lingered.
    expect(progress.every((n) => n < events.length), `committed after each kill: ${progress.join(', ')}`).toBe(true);
    expect(ahead.some((n) => n > 0), `events applied beyond the commit at each kill: ${ahead.join(', ')}`).toBe(true);
    const last = await world.startWorker();
    await world.caughtUp(120_000);
    await last.stop();

    let pages = 0;
    let orders = 0;
    let revenue = 0;
    for (let lead = 0; lead < LEADS; lead++) {
      const p = await readProfile(world.redis, world.ns, `u:lead-${lead}`);
      expect(p.events, `lead-${lead}`).toBe(PER_LEAD);
      pages += p.counts.page ?? 0;
      orders += p.counts.order ?? 0;
      revenue += p.revenue.USD ?? 0;
    }
    expect({ pages, orders, revenue }).toEqual({ pages: events.length * 0.9, orders: events.length * 0.1, revenue: events.length });
    expect(await world.count('SELECT count() FROM {db}.events FINAL')).toBe(events.length);
    expect(await world.count('SELECT uniqExact(message_id) FROM {db}.events')).toBe(events.length);
  });
});
