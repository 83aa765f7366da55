import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProfile } from '@leadscore/portrait';
import { services } from '@leadscore/tests/support/services.ts';
import { ingestWorld, tracked, type IngestWorld, type Worker } from './support.ts';

/** What the worker writes to ClickHouse agrees with the portrait, and carries what the tables' engines need. */
let world: IngestWorld;
let worker: Worker;
const t = (day: number) => new Date(Date.UTC(2026, 10, day, 9)).toISOString();

beforeAll(async () => {
  world = await ingestWorld(services(), 'rows');
  worker = await world.startWorker();
  await world.produce([
    tracked({ type: 'track', userId: 'ann', event: 'Order Completed', messageId: 'r-1', timestamp: t(1), properties: { order_id: 'o-1', revenue: 1200 } }),
    tracked({ type: 'track', userId: 'ann', event: 'Order Refunded', messageId: 'r-2', timestamp: t(2), properties: { order_id: 'o-1', amount: 200, currency: 'eur' } }),
    // The link is said by a later event first (arrival order), then by the identify that made it.
    tracked({ type: 'page', userId: 'bob', anonymousId: 'v-bob', messageId: 'r-3', timestamp: t(5), context: { page: { path: '/pricing' } } }),
    tracked({ type: 'identify', userId: 'bob', anonymousId: 'v-bob', messageId: 'r-4', timestamp: t(3), traits: { email: 'bob@acme.example' } }),
  ]);
  await world.caughtUp();
  // Another user claiming bob's visitor afterwards: a conflict, recorded.
  await world.produce([tracked({ type: 'identify', userId: 'eve', anonymousId: 'v-bob', messageId: 'r-5', timestamp: t(6) })]);
  await world.caughtUp();
});

afterAll(async () => {
  await worker?.stop();
  await world?.close();
});

const rows = async (query: string) => (await (await world.clickhouse.query({ query: query.replaceAll('{db}', world.ns), format: 'JSONEachRow' })).json()) as Record<string, string | number>[];

describe('ClickHouse rows', () => {
  it('carry the moment they were written, so the latest version of a row wins', async () => {
    for (const table of ['events', 'identity_links', 'identity_conflicts', 'score_ledger']) {
      const [row] = await rows(`SELECT min(inserted_at) AS first, count() AS n FROM {db}.${table}`);
      expect(row?.n, table).not.toBe('0');
      expect(row?.first, table).not.toBe('0000-00-00 00:00:00');
      expect(Math.abs(Date.parse(`${String(row?.first).replace(' ', 'T')}Z`) - Date.now()), table).toBeLessThan(5 * 60_000);
    }
  });

  it('read an order in the currency the portrait counts it in, USD when it names none', async () => {
    const ordered = await rows("SELECT message_id, order_id, revenue, currency FROM {db}.events FINAL WHERE order_id != '' ORDER BY message_id");
    expect(ordered).toEqual([
      { message_id: 'r-1', order_id: 'o-1', revenue: 1200, currency: 'USD' },
      { message_id: 'r-2', order_id: 'o-1', revenue: 200, currency: 'EUR' },
    ]);
    const ann = await readProfile(world.redis, world.ns, 'u:ann');
    expect(ann.revenue).toEqual({ USD: 1200 });
    expect(ann.refunded).toEqual({ EUR: 200 });
  });

  it('record a link at its earliest statement, whatever order the statements came in', async () => {
    expect(await rows("SELECT profile, lead, reason, message_id, toString(linked_at) AS linked_at FROM {db}.identity_links FINAL WHERE profile = 'a:v-bob'")).toEqual([
      { profile: 'a:v-bob', lead: 'u:bob', reason: 'identify', message_id: 'r-4', linked_at: '2026-11-03 09:00:00' },
    ]);
  });
});
