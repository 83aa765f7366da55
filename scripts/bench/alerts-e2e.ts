/**
 * bench:alerts' end-to-end phase: demo requests produced to the events topic as the collector would, scored by the
 * real ingest worker (its own process, the bench's namespace), whose alert outbox fills the hot-lead queue that the
 * alerts service delivers from. What is timed is what sales wait for: the triggering event acknowledged by Kafka →
 * the signed webhook received.
 */
import { performance } from 'node:perf_hooks';
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import { encodeEvent, intakeMessage } from '@leadscore/events';
import { topicNames } from '@leadscore/kafka';
import { INGEST_NODE_ARGS, startProcess, type RunningProcess } from './lib.ts';

/** The rule whose alert each demo request fires at once under the default rules (kind form, formId demo-request). */
export const DEMO_REQUEST_RULE = 'demo-request';

const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

/** One demo-request submission and the lead it is about. */
export interface DemoRequest {
  /** `e:<email>`: an anonymous visitor who leaves an email becomes this (new, provisional) lead. */
  readonly lead: string;
  readonly record: Message;
}

/**
 * The demo form sent by a visitor the site has never seen, with a work email of their own: under the default rules it
 * scores demo-request (40) and contact-form (10), so besides the form alert the new lead crosses into hot (40) and
 * fires became-hot too.
 */
export function demoRequest(ns: string, phase: string, i: number, now: Date): DemoRequest {
  const email = `${phase}-${i}@e2e-company-${i % 20}.example`;
  const raw = {
    type: 'track',
    event: 'Form Submitted',
    messageId: `${ns}-${phase}-${i}`,
    anonymousId: `${ns}-${phase}-visitor-${i}`,
    timestamp: now.toISOString(),
    properties: { form_id: 'demo-request', email, name: `Lead ${phase} ${i}`, company: `E2E Company ${i % 20}` },
    context: { ip: '198.51.100.7', userAgent: USER_AGENT, page: { path: '/demo', url: 'https://www.acme.example/demo', title: 'Book a demo' } },
  };
  // Stamped as the collector stamps what it accepts (source, receivedAt), then encoded as the collector produces it.
  const result = intakeMessage(raw, { receivedAt: now, source: { id: 'web', kind: 'segment' }, maxFutureMs: 3_600_000, maxPastMs: null });
  if (!result.ok) throw new Error(`the bench made an invalid event: ${JSON.stringify(result.issues)}`);
  return { lead: `e:${email}`, record: encodeEvent(result.event) };
}

export interface IngestSettings {
  readonly ns: string;
  readonly brokers: readonly string[];
  readonly redisUrl: string;
  readonly clickhouseUrl: string;
  readonly rulesFile: string;
  readonly metricsPort: number;
}

/** The ingest worker as bench:ingest starts it, in the bench's namespace (topic, Redis keys, ClickHouse database). */
export function startIngestWorker(s: IngestSettings): Promise<RunningProcess> {
  return startProcess(
    'services/ingest/src/main.ts',
    {
      NAMESPACE: s.ns,
      KAFKA_BROKERS: s.brokers.join(','),
      REDIS_URL: s.redisUrl,
      CLICKHOUSE_URL: s.clickhouseUrl,
      CLICKHOUSE_DATABASE: '',
      RULES_FILE: s.rulesFile,
      INGEST_METRICS_PORT: String(s.metricsPort),
      // Hundreds of demo requests from one source within the hour are a flood to the live service, which holds all
      // but 100 back; here they are the load. The budget is still checked, with room for all of them.
      INGEST_FORM_ALERTS_PER_SOURCE_PER_HOUR: '1000000',
      LOG_LEVEL: 'warn',
    },
    `http://127.0.0.1:${s.metricsPort}/healthz`,
    { nodeArgs: INGEST_NODE_ARGS },
  );
}

/** Waits until the worker is in its consumer group with the partitions assigned: produced before, events would wait for the join. */
export async function untilInGroup(kafka: Kafka, ns: string, worker: RunningProcess, timeoutMs = 60_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const deadline = performance.now() + timeoutMs;
  try {
    for (;;) {
      const { groups } = await admin.describeGroups([`${ns}.ingest`]);
      if (groups[0]?.state === 'Stable' && groups[0].members.length >= 1) return;
      if (worker.child.exitCode !== null) throw new Error(`the ingest worker exited with ${worker.child.exitCode}:\n${worker.output().slice(-4_000)}`);
      if (performance.now() > deadline) throw new Error(`the ingest worker was not in the group ${ns}.ingest within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

/** A produced demo request: when it was handed to the producer and when Kafka acknowledged it (performance.now()). */
export interface Produced {
  readonly lead: string;
  readonly sentAt: number;
  ackedAt?: number;
}

/**
 * `count` demo requests at `perSecond`, each sent alone when it is due (acks from all in-sync replicas, as the
 * collector sends), so each is acknowledged and scored as it would be on a live site, not in a batch of the bench's.
 */
export async function produceDemoRequests(producer: Producer, ns: string, phase: string, count: number, perSecond: number): Promise<Produced[]> {
  const topic = topicNames(ns).events;
  const produced: Produced[] = [];
  const sends: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / perSecond - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const { lead, record } = demoRequest(ns, phase, i, new Date());
    const entry: Produced = { lead, sentAt: performance.now() };
    produced.push(entry);
    const sent = producer.send({ topic, acks: -1, messages: [record] }).then(() => {
      entry.ackedAt = performance.now();
    });
    // Awaited below; handled now so that a failure before then does not end the process without cleaning up.
    sent.catch(() => {});
    sends.push(sent);
  }
  await Promise.all(sends);
  return produced;
}

/** The topics and the consumer group the phase made; the database and Redis keys go with the bench's namespace. */
export async function removeTopics(admin: Admin, ns: string): Promise<void> {
  const topics = topicNames(ns);
  await admin.deleteTopics({ topics: [topics.events, topics.eventsDeadLetter] }).catch(() => {});
  await admin.deleteGroups([`${ns}.ingest`]).catch(() => {});
}
