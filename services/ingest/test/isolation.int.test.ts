import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, quoteIdentifier, sql } from '@leadscore/clickhouse';
import { profileKeys, readProfile } from '@leadscore/portrait';
import { readTopic } from '@leadscore/tests/support/kafka.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { ingestWorld, tracked, type IngestWorld, type Worker } from './support.ts';

/**
 * One event a store refuses holds back nothing: it is tried a bounded number of times with its batch, then becomes a
 * dead letter with the store's error, and the events beside it and behind it are applied.
 */
let world: IngestWorld;
let worker: Worker;
const t = (minute: number) => new Date(Date.UTC(2026, 10, 20, 9, minute)).toISOString();

beforeAll(async () => {
  world = await ingestWorld(services(), 'isolation', 2);
  // A lead whose state key someone overwrote with a string: every script on it fails (WRONGTYPE).
  await world.redis.set(profileKeys(world.ns, 'u:broken').state, 'not a hash');
  // A ClickHouse table that drifted from the migration: `path` holds one character, so a row with a longer path is
  // refused for its content (as a bad value would be), while the other rows fit.
  await world.clickhouse.command({ query: sql`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(world.ns)}` });
  const ddl = readFileSync(`${MIGRATIONS_DIR}/0001_events.sql`, 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .replaceAll('{{db}}', quoteIdentifier(world.ns).text)
    .replaceAll('{{on_cluster}}', '')
    .replace('{{engine:events:ReplacingMergeTree(inserted_at)}}', 'ReplacingMergeTree(inserted_at)')
    .replace('  path String,', '  path FixedString(1),')
    .replace(/;\s*$/, '');
  await world.clickhouse.command({ query: ddl });
  Object.assign(world.env, { INGEST_EVENT_ATTEMPTS: '3' });
  worker = await world.startWorker();
});
afterAll(async () => {
  await worker?.stop();
  await world?.close();
});

describe('an event a store refuses', () => {
  it('is tried three times, then becomes a dead letter with the Redis error, and the others are applied', async () => {
    await world.produce([
      tracked({ type: 'page', userId: 'ok-1', messageId: 'i-1', timestamp: t(1) }),
      tracked({ type: 'page', userId: 'broken', messageId: 'i-2', timestamp: t(2) }),
      tracked({ type: 'page', userId: 'ok-1', messageId: 'i-3', timestamp: t(3) }),
      tracked({ type: 'page', userId: 'ok-2', messageId: 'i-4', timestamp: t(4) }),
    ]);
    await world.caughtUp();
    expect((await readProfile(world.redis, world.ns, 'u:ok-1')).counts.page).toBe(2);
    expect((await readProfile(world.redis, world.ns, 'u:ok-2')).counts.page).toBe(1);
    const letters = (await readTopic(world.kafka, world.topics.eventsDeadLetter, 1)).map((r) => JSON.parse(r.value));
    expect(letters).toMatchObject([{ reason: 'store_rejected', stage: 'ingest', messageId: 'i-2', message: expect.stringMatching(/Redis refused it on 3 tries: .*WRONGTYPE/) }]);
    expect(JSON.parse(Buffer.from(letters[0].original, 'base64').toString()).messageId).toBe('i-2');
    expect(worker.output().match(/Redis refused an event; its batch is retried/g)).toHaveLength(2);
  });

  it('leaves no row in ClickHouse when Redis refused it', async () => {
    expect(await world.count("SELECT count() FROM {db}.events WHERE message_id = 'i-2'")).toBe(0);
    expect(await world.count("SELECT count() FROM {db}.events WHERE message_id IN ('i-1', 'i-3', 'i-4')")).toBe(3);
  });

  it('becomes a dead letter when ClickHouse refuses its row, found among the rows of its batch', async () => {
    await world.produce([
      tracked({ type: 'page', userId: 'ok-3', messageId: 'c-1', timestamp: t(5) }),
      tracked({ type: 'page', userId: 'ok-3', messageId: 'c-2', timestamp: t(6), context: { page: { path: '/pricing' } } }),
      tracked({ type: 'page', userId: 'ok-3', messageId: 'c-3', timestamp: t(7) }),
    ]);
    await world.caughtUp();
    expect(await world.count("SELECT count() FROM {db}.events WHERE message_id IN ('c-1', 'c-3')")).toBe(2);
    const letters = (await readTopic(world.kafka, world.topics.eventsDeadLetter, 2)).map((r) => JSON.parse(r.value));
    expect(letters.find((l) => l.messageId === 'c-2')).toMatchObject({ reason: 'store_rejected', message: expect.stringMatching(/ClickHouse refused its row/) });
  });
});
