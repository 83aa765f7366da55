/**
 * The collector: the Segment HTTP Tracking API in front of Kafka.
 *   config → logger → Kafka (topics, producer) → produce buffer → rate limiter (Redis) → HTTP app → listen;
 *   SIGTERM: stop taking requests,
 *   flush what was accepted, disconnect.
 */
import { loadConfigOrExit, sourcePoliciesOf } from '@leadscore/config';
import { createKafka, createProducer, ensureTopics, eventTopicSpecs, topicNames } from '@leadscore/kafka';
import { handleShutdown } from '@leadscore/lifecycle';
import { createLogger } from '@leadscore/log';
import { buildCollector } from './app.ts';
import { kafkaReadiness } from './kafka-health.ts';
import { createCollectorMetrics } from './metrics.ts';
import { ProduceBuffer } from './produce-buffer.ts';
import { consentCounter } from './consent-counts.ts';
import { createRateLimiter } from './rate-limit.ts';
import { createRedis } from '@leadscore/redis';

const config = loadConfigOrExit('collector');
const log = createLogger({ service: 'collector', level: config.logLevel, namespace: config.namespace });
const topics = topicNames(config.namespace);

const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-collector` }, log);
await ensureTopics(kafka, eventTopicSpecs(config.namespace, config.kafka));
const producer = createProducer(kafka);
await producer.connect();

const metrics = createCollectorMetrics();
const buffer = new ProduceBuffer(producer, {
  lingerMs: config.collector.lingerMs,
  maxMessages: 5_000,
  timeoutMs: config.collector.produceTimeoutMs,
  onFlush: (_n, seconds, ok) => metrics.produceSeconds.observe({ outcome: ok ? 'ok' : 'error' }, seconds),
});
const readiness = kafkaReadiness(kafka);
// The rate limiter's connection fails fast rather than queueing: a request never waits for Redis to come back.
const redis = createRedis(config.redis.url, { connectionName: 'collector', enableOfflineQueue: false, commandTimeout: 250, maxRetriesPerRequest: 0 });
// A fresh instance would let its first requests through unlimited: listen once Redis is up (or known down).
await new Promise((resolve) => { redis.once('ready', resolve); redis.once('error', resolve); });
const rateLimiter = createRateLimiter({ redis, namespace: config.namespace, limits: config.collector.rateLimits, log, onError: () => metrics.rateLimiterErrors.inc() });

const app = await buildCollector(
  {
    writeKeys: config.collector.writeKeys,
    importKeys: config.collector.importKeys,
    maxFutureMs: config.collector.maxFutureMs,
    maxPastMs: config.collector.maxPastMs,
    corsOrigins: config.collector.corsOrigins,
    publicUrl: config.collector.publicUrl,
    trustedProxies: config.collector.trustedProxies,
    sourcePolicies: sourcePoliciesOf(config),
    identitySecrets: config.collector.identitySecrets,
    demo: config.env !== 'production',
    noise: config.noise,
    email: { linkSecret: config.collector.linkSecret, redirectHosts: config.collector.redirectHosts },
    topics: { events: topics.events, deadLetter: topics.eventsDeadLetter },
  },
  { log, buffer, metrics, kafkaReady: readiness.ready, rateLimiter, consentWithheld: consentCounter(redis, config.namespace, log) },
);

handleShutdown(log, [
  { name: 'http server', run: () => app.close() },
  { name: 'produce buffer', run: () => buffer.drain() },
  { name: 'kafka', run: async () => (await readiness.close(), await producer.disconnect()) },
  { name: 'redis', run: async () => void redis.disconnect() },
]);

const address = await app.listen({ host: config.collector.host, port: config.collector.port });
log.info({ address, topics, sources: config.collector.writeKeys.map((k) => k.source) }, 'collector listening');
