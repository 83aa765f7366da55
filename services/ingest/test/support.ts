import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Redis } from 'ioredis';
import type { Kafka, Message } from 'kafkajs';
import { createClickHouse, quoteIdentifier, sql } from '@leadscore/clickhouse';
import { encodeEvent, intakeMessage, type TrackedEvent } from '@leadscore/events';
import { createKafka, createProducer, ensureTopics, topicNames } from '@leadscore/kafka';
import { createLogger } from '@leadscore/log';
import { alertStateFields, BOUNDS, definePortraitScripts, type PortraitLayout } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { defaultRules, parseRules, type Rules } from '@leadscore/scoring';
import { assertTestNamespace, testNamespace } from '@leadscore/tests/support/namespace.ts';
import type { ServiceUrls } from '@leadscore/tests/support/services.ts';

import { LinkCache } from '../src/link-cache.ts';
import { createPortraitWriter } from '../src/portrait-writer.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The layout the worker would use, with a day's dedup window and a small history cap, for tests. */
export function testLayout(namespace: string, overrides: Partial<PortraitLayout> = {}): Omit<PortraitLayout, 'alertFields'> {
  return { namespace, dedupWindowMs: 86_400_000, logCap: 500, visitorTtlMs: 90 * 86_400_000, ...BOUNDS, ...overrides };
}

/**
 * Portrait writers straight on Redis (the worker's Redis half, without Kafka), each with a link cache of its own as
 * each worker has; every namespace they wrote is removed by `close`.
 */
export function portraitWriters(redisUrl: string) {
  const redis = createRedis(redisUrl);
  const namespaces: string[] = [];
  const rules = parseRules(defaultRules);
  return {
    redis,
    namespace(label: string): string {
      const ns = testNamespace(label);
      namespaces.push(ns);
      return ns;
    },
    writer(namespace: string, options: { rules?: Rules; layout?: Partial<PortraitLayout>; now?: () => number } = {}) {
      const ruleSet = options.rules ?? rules;
      return createPortraitWriter(
        { layout: testLayout(namespace, options.layout), freeMailDomains: new Set(['gmail.com']), rules: () => ruleSet, alertFields: alertStateFields, timeZone: 'UTC' },
        { redis, scripts: definePortraitScripts(redis), links: new LinkCache(), ...(options.now ? { now: options.now } : {}) },
      );
    },
    async close(): Promise<void> {
      for (const ns of namespaces) {
        const keys = await redis.keys(`${ns}:*`);
        for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      }
      redis.disconnect();
    },
  };
}

/** A tracked event as the collector would have stamped it. */
/** Signs the email click tokens the worker checks (a browser presents one to confirm its claim of an address). */
export const LINK_SECRET = 'ingest-test-link-secret';

export function tracked(raw: Record<string, unknown>, receivedAt = new Date()): TrackedEvent {
  const result = intakeMessage(raw, { receivedAt, source: { id: 'web', kind: 'segment' }, maxFutureMs: 3_600_000, maxPastMs: null });
  if (!result.ok) throw new Error(`bad test event: ${JSON.stringify(result.issues)}`);
  return result.event;
}

export interface IngestWorld {
  readonly ns: string;
  readonly topics: ReturnType<typeof topicNames>;
  readonly kafka: Kafka;
  readonly redis: Redis;
  readonly clickhouse: ClickHouseClient;
  readonly env: Record<string, string>;
  produce(events: readonly (TrackedEvent | Message)[]): Promise<void>;
  startWorker(extraEnv?: Record<string, string>): Promise<Worker>;
  /** Waits until the worker group has committed everything produced so far. */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** Records committed by the worker group, over all partitions. */
  committed(): Promise<number>;
  count(query: string): Promise<number>;
  close(): Promise<void>;
}

export interface Worker {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** The port of its /metrics, from its start-up line. */
  readonly metricsPort: () => number;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Kafka topics, a Redis key prefix and a ClickHouse database of the test file's own, and a way to run real workers. */
export async function ingestWorld(services: ServiceUrls, label: string, partitions = 4): Promise<IngestWorld> {
  const ns = testNamespace(label);
  const topics = topicNames(ns);
  const log = createLogger({ service: 'ingest-test', level: 'fatal', namespace: ns });
  const kafka = createKafka({ brokers: services.kafkaBrokers, clientId: ns }, log);
  await ensureTopics(kafka, [
    { topic: topics.events, numPartitions: partitions, replicationFactor: 1 },
    { topic: topics.eventsDeadLetter, numPartitions: 1, replicationFactor: 1 },
  ]);
  const producer = createProducer(kafka);
  await producer.connect();
  const redis = createRedis(services.redisUrl);
  const clickhouse = createClickHouse({ url: services.clickhouseUrl, user: services.clickhouseUser, password: services.clickhousePassword });
  const env = {
    NAMESPACE: ns,
    KAFKA_BROKERS: services.kafkaBrokers.join(','),
    REDIS_URL: services.redisUrl,
    CLICKHOUSE_URL: services.clickhouseUrl,
    KAFKA_EVENTS_PARTITIONS: String(partitions),
    INGEST_METRICS_PORT: '0',
    COLLECTOR_LINK_SECRET: LINK_SECRET,
    // A killed worker's partitions go to the next one within seconds, not the production 30.
    INGEST_SESSION_TIMEOUT_MS: '6000',
    // The start-up line is how the test knows the worker runs; the output is kept, not printed.
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
  };
  const workers: Worker[] = [];
  const group = `${ns}.ingest`;

  return {
    ns,
    topics,
    kafka,
    redis,
    clickhouse,
    env,
    async produce(items) {
      const messages = (items as (TrackedEvent | Message)[]).map((item) => ('messageId' in item && 'source' in item ? encodeEvent(item as TrackedEvent) : (item as Message)));
      await producer.send({ topic: topics.events, acks: -1, messages });
    },
    async startWorker(extraEnv = {}) {
      // Node itself with tsx as a loader, not the tsx wrapper: a signal must reach the worker, not a parent that
      // would leave it running when killed.
      const child = spawn(process.execPath, ['--import', 'tsx', 'services/ingest/src/main.ts'], { cwd: ROOT, env: { ...process.env, ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout?.on('data', (d) => (output += d));
      child.stderr?.on('data', (d) => (output += d));
      const worker: Worker = {
        child,
        output: () => output,
        metricsPort: () => Number(/"metricsPort":(\d+)/.exec(output)?.[1]),
        stop: (signal = 'SIGTERM') =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
            child.once('exit', (code) => resolve(code));
            child.kill(signal);
          }),
      };
      workers.push(worker);
      const deadline = Date.now() + 30_000;
      while (!output.includes('ingest worker running')) {
        if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`worker did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return worker;
    },
    async caughtUp(timeoutMs = 30_000) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const ends = await admin.fetchTopicOffsets(topics.events);
          const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topics.events] });
          const behind = ends.filter((end) => {
            const done = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
            return Number(end.high) > 0 && Number(done) < Number(end.high);
          });
          if (behind.length === 0) return;
          if (Date.now() > deadline) throw new Error(`ingest did not catch up on partitions ${behind.map((b) => b.partition).join(', ')}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        await admin.disconnect();
      }
    },
    async committed() {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topics.events] });
        return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      } finally {
        await admin.disconnect();
      }
    },
    async count(query) {
      const rows = (await (await clickhouse.query({ query: query.replaceAll('{db}', quoteIdentifier(ns).text), format: 'JSONEachRow' })).json()) as Record<string, string>[];
      return Number(Object.values(rows[0] ?? { n: '0' })[0]);
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop('SIGKILL')));
      await producer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topics.events, topics.eventsDeadLetter] }).catch(() => {});
      await admin.disconnect();
      const keys = await redis.keys(`${ns}:*`);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      redis.disconnect();
      assertTestNamespace(ns);
      await clickhouse.command({ query: sql`DROP DATABASE IF EXISTS ${quoteIdentifier(ns)}` });
      await clickhouse.close();
    },
  };
}
