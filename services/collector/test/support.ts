import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Kafka, Producer } from 'kafkajs';
import { createKafka, createProducer, ensureTopics, topicNames } from '@leadscore/kafka';
import { createLogger } from '@leadscore/log';
import { readTopic } from '@leadscore/tests/support/kafka.ts';
import { testNamespace } from '@leadscore/tests/support/namespace.ts';
import { buildCollector, type CollectorDeps, type CollectorSettings } from '../src/app.ts';
import { kafkaReadiness } from '../src/kafka-health.ts';
import { createCollectorMetrics } from '../src/metrics.ts';
import { ProduceBuffer } from '../src/produce-buffer.ts';
import { createRateLimiter, type RateLimit } from '../src/rate-limit.ts';
import { createRedis } from '@leadscore/redis';

export const WRITE_KEY = 'wk_test_web_123';
export const IMPORT_KEY = 'ik_test_crm_456';
export const LINK_SECRET = 'test-link-secret-0123456789';

export interface TestCollector {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly kafka: Kafka;
  readonly topics: { events: string; deadLetter: string };
  close(): Promise<void>;
}

/** A collector on a free port, writing to real Kafka under a namespace of the test file's own. */
export async function startTestCollector(
  brokers: readonly string[],
  options: { label: string; produceTimeoutMs?: number; settings?: Partial<CollectorSettings>; now?: () => Date; consentWithheld?: CollectorDeps['consentWithheld']; rateLimits?: { readonly redisUrl: string; readonly namespace?: string; readonly limits: readonly RateLimit[] } },
): Promise<TestCollector> {
  const ns = testNamespace(options.label);
  // Tests that stop Kafka make kafkajs log every refused connection; TEST_LOG_LEVEL=debug shows them.
  const log = createLogger({ service: 'collector-test', level: (process.env.TEST_LOG_LEVEL as 'fatal') ?? 'fatal', namespace: ns });
  const names = topicNames(ns);
  const topics = { events: names.events, deadLetter: names.eventsDeadLetter };
  const kafka = createKafka({ brokers, clientId: ns }, log);
  await ensureTopics(kafka, [
    { topic: topics.events, numPartitions: 3, replicationFactor: 1 },
    { topic: topics.deadLetter, numPartitions: 1, replicationFactor: 1 },
  ]);
  const producer: Producer = createProducer(kafka);
  await producer.connect();
  const metrics = createCollectorMetrics();
  const buffer = new ProduceBuffer(producer, {
    lingerMs: 2,
    maxMessages: 5000,
    timeoutMs: options.produceTimeoutMs ?? 5000,
    onFlush: (_n, seconds, ok) => metrics.produceSeconds.observe({ outcome: ok ? "ok" : "error" }, seconds),
  });
  const readiness = kafkaReadiness(kafka, 1000);
  // Production gives up on Redis after 250 ms (and lets the request through); a test machine running every suite at
  // once can be slower than that, which would let a request through that the test expects refused.
  const redis = options.rateLimits ? createRedis(options.rateLimits.redisUrl, { enableOfflineQueue: false, commandTimeout: 5_000, maxRetriesPerRequest: 0 }) : undefined;
  // With no offline queue, a request before the connection is up fails open: wait until it is up (or refused).
  if (redis) await new Promise((resolve) => { redis.once('ready', resolve); redis.once('error', resolve); });
  const rateLimiter = redis && options.rateLimits ? createRateLimiter({ redis, namespace: options.rateLimits.namespace ?? ns, limits: options.rateLimits.limits, log }) : undefined;
  const app = await buildCollector(
    {
      writeKeys: [{ source: 'web', key: WRITE_KEY }],
      importKeys: [{ source: 'crm', key: IMPORT_KEY }],
      maxFutureMs: 3_600_000,
      maxPastMs: 30 * 86_400_000,
      corsOrigins: ['*'],
      topics,
      noise: { internalRanges: ['10.0.0.0/8'], internalEmailDomains: ['ourcompany.example'], scannerClickSeconds: 10, scannerBurstSeconds: 2, clickWindowMs: 24 * 3_600_000 },
      email: { linkSecret: LINK_SECRET, redirectHosts: ['acme.example', '*.acme.example'] },
      ...options.settings,
    },
    { log, buffer, metrics, kafkaReady: readiness.ready, ...(rateLimiter ? { rateLimiter } : {}), ...(options.consentWithheld ? { consentWithheld: options.consentWithheld } : {}), ...(options.now ? { now: options.now } : {}) },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    kafka,
    topics,
    async close() {
      await app.close();
      await buffer.drain();
      await readiness.close();
      await producer.disconnect();
      redis?.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topics.events, topics.deadLetter] }).catch(() => {});
      await admin.disconnect();
    },
  };
}

export function basic(key: string): string {
  return `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
}

export async function post(url: string, body: unknown, init: { key?: string | null; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
  if (init.key !== null) headers.authorization = basic(init.key ?? WRITE_KEY);
  const response = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, headers: response.headers, body: json as Record<string, unknown> };
}

/**
 * The records of one of the collector's topics whose JSON value matches, read again until at least `atLeast` match
 * (or 15 s have passed, when what there is comes back for the test to judge).
 */
export async function recordsWhere(c: TestCollector, topic: 'events' | 'deadLetter', predicate: (value: Record<string, any>) => boolean, atLeast = 1): Promise<Record<string, any>[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = (await readTopic(c.kafka, c.topics[topic], 0, { settleMs: 400 })).map((r) => JSON.parse(r.value) as Record<string, any>).filter(predicate);
    if (found.length >= atLeast || Date.now() > deadline) return found;
  }
}
