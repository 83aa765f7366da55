/**
 * `pnpm bench:collector`: accepted events/s through the collector's /v1/batch and requests/s through /v1/track
 * (the real service in its own process, driven over HTTP by autocannon), beside the rate of producing the same
 * events straight to Kafka with a bare kafkajs producer in the same run.
 *
 * Options: --batches N (requests of 100 events to /v1/batch, default 1000), --tracks N (default 20000),
 *          --connections N (default 32). Needs the services running (scripts/services.sh up).
 * Last line: events_per_s=… track_req_per_s=… baseline_events_per_s=… ratio=…
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Partitioners } from 'kafkajs';
import { loadConfigOrExit } from '@leadscore/config';
import { createKafka, ensureTopics, topicNames } from '@leadscore/kafka';
import { createLogger } from '@leadscore/log';
import { benchNamespace, fmt, freePort, progress, startService } from './lib.ts';

const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '1000' },
    tracks: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '32' },
  },
});
const BATCH_SIZE = 100;
const batches = Number(args.batches);
const tracks = Number(args.tracks);
const connections = Number(args.connections);

const config = loadConfigOrExit('bench');
const ns = benchNamespace('collector');
const topics = topicNames(ns);
const log = createLogger({ service: 'bench', level: 'warn', namespace: ns });
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: ns }, log);
const partitions = config.kafka.eventsPartitions;

/** A realistic page-visit-sized track call. */
function message(i: number) {
  return {
    type: 'track',
    userId: `lead-${i % 5000}`,
    event: 'Viewed Pricing',
    timestamp: new Date().toISOString(),
    properties: { plan: 'enterprise', seats: 40, path: '/pricing', referrer: 'https://www.google.com/' },
    context: {
      ip: '203.0.113.7',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
      page: { url: 'https://acme.example/pricing?utm_source=newsletter', path: '/pricing', title: 'Pricing' },
      campaign: { source: 'newsletter', medium: 'email', name: 'q4-launch' },
      library: { name: 'bench', version: '1' },
    },
  };
}

async function endOffsetSum(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return offsets.reduce((n, p) => n + Number(p.high), 0);
}

async function load(url: string, body: string, amount: number, title: string): Promise<autocannon.Result> {
  progress(`${title}: ${amount} requests over ${connections} connections`);
  // The instance is both a promise of the result and an emitter of each response.
  const instance = autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('bench_write_key_1:').toString('base64')}` },
    body,
    connections,
    amount,
    timeout: 30,
  }) as unknown as Promise<autocannon.Result> & { on(event: 'response', listener: () => void): void };
  let done = 0;
  instance.on('response', () => {
    done++;
    if (done % Math.max(1, Math.floor(amount / 10)) === 0) progress(`  ${title}: ${done}/${amount}`);
  });
  const result = await instance;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${title}: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return result;
}

async function bareProducer(records: { key: string; value: string }[], total: number): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const started = process.hrtime.bigint();
  let sent = 0;
  const worker = async () => {
    while (sent < total) {
      sent += BATCH_SIZE;
      await producer.send({ topic: `${topics.events}.baseline`, acks: -1, messages: records });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await producer.disconnect();
  return sent / seconds;
}

await ensureTopics(kafka, [
  { topic: topics.events, numPartitions: partitions, replicationFactor: 1 },
  { topic: topics.eventsDeadLetter, numPartitions: 1, replicationFactor: 1 },
  { topic: `${topics.events}.baseline`, numPartitions: partitions, replicationFactor: 1 },
]);
const port = await freePort();
progress(`starting the collector (namespace ${ns}, port ${port})`);
const collector = await startService(
  'services/collector/src/main.ts',
  { NAMESPACE: ns, COLLECTOR_PORT: String(port), COLLECTOR_WRITE_KEYS: 'web=bench_write_key_1', COLLECTOR_RATE_LIMITS: 'web=10000000/s', LOG_LEVEL: 'warn', NODE_ENV: 'development' },
  `http://127.0.0.1:${port}/readyz`,
);

try {
  const batchBody = JSON.stringify({ batch: Array.from({ length: BATCH_SIZE }, (_, i) => message(i)) });
  const trackBody = JSON.stringify(message(1));
  // Warm-up: JIT, connections, producer metadata.
  await load(`http://127.0.0.1:${port}/v1/batch`, batchBody, 50, 'warm-up');
  const before = await endOffsetSum(topics.events);

  const batch = await load(`http://127.0.0.1:${port}/v1/batch`, batchBody, batches, '/v1/batch');
  const batchSeconds = batch.duration;
  const eventsPerSecond = (batches * BATCH_SIZE) / batchSeconds;
  const inKafka = (await endOffsetSum(topics.events)) - before;
  if (inKafka !== batches * BATCH_SIZE) throw new Error(`Kafka holds ${inKafka} new events, expected ${batches * BATCH_SIZE}`);

  const track = await load(`http://127.0.0.1:${port}/v1/track`, trackBody, tracks, '/v1/track');
  const trackPerSecond = tracks / track.duration;

  progress(`baseline: a bare kafkajs producer, ${batches * BATCH_SIZE} events in sends of ${BATCH_SIZE}`);
  const records = Array.from({ length: BATCH_SIZE }, (_, i) => {
    const m = message(i);
    return { key: m.userId, value: JSON.stringify(m) };
  });
  await bareProducer(records, 5_000);
  const baseline = await bareProducer(records, batches * BATCH_SIZE);

  const ratio = eventsPerSecond / baseline;
  process.stdout.write(
    [
      `collector /v1/batch: ${fmt(eventsPerSecond)} events/s (${batches} requests of ${BATCH_SIZE}, p50 ${batch.latency.p50} ms, p99 ${batch.latency.p99} ms; all ${inKafka} in Kafka)`,
      `collector /v1/track: ${fmt(trackPerSecond)} requests/s (p50 ${track.latency.p50} ms, p99 ${track.latency.p99} ms)`,
      `bare kafkajs producer: ${fmt(baseline)} events/s`,
      `ratio (batch ÷ bare producer): ${ratio.toFixed(3)}`,
      `events_per_s=${fmt(eventsPerSecond)} track_req_per_s=${fmt(trackPerSecond)} baseline_events_per_s=${fmt(baseline)} ratio=${ratio.toFixed(3)}`,
    ].join('\n') + '\n',
  );
} finally {
  await collector.stop();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topics.events, topics.eventsDeadLetter, `${topics.events}.baseline`] }).catch(() => {});
  await admin.disconnect();
}
