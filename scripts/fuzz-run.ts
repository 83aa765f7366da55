/**
 * The seeded, bounded fuzz run behind `pnpm fuzz` (scripts/fuzz.ts) and its short CI version
 * (tests/e2e/fuzz.int.test.ts): hostile input over the collector's routes and the ingest worker's decoder, on the real
 * services, in a namespace of its own that is removed afterwards.
 *
 * - The collector runs in this process (buildCollector, a ProduceBuffer on a real Kafka producer; a browser write
 *   key, a server import key, no rate limiter) on a free port; the ingest worker runs as the real service in a
 *   process of its own, which creates its ClickHouse database by its own migration at start.
 * - A case is one HTTP request (a batch of any number of messages, or a single message, or a body that is neither) to
 *   a random route, with random auth and encoding, or one record produced straight to the events topic (random
 *   bytes, JSON of the wrong shape, a wrong schema-version header, a stamped event with hostile mutations). Case `i`
 *   of seed `s` is generated from its own seed (tests/support/hostile-arbitraries.ts: caseSeed), so any case can be
 *   generated again alone (`pnpm fuzz --seed s --show i`); times in it are relative to the clock when it is sent.
 * - Outcomes are counted from what can be seen from outside, never from the pipeline's own metrics: the HTTP answers,
 *   the dead-letter topic read to its end (by stage and reason), the events topic read back (every record through
 *   decodeEvent, here too), and ClickHouse (distinct message ids in `<db>.events`).
 * - Failures: a crash (the worker process exiting, an uncaught exception or unhandled rejection in this process, an
 *   HTTP 5xx other than 503), a stall (the worker group's committed offsets not moving for `stallMs`, default 60 s,
 *   while behind the end of the topic; still behind 5 × `stallMs` after the last produce; a request unanswered for
 *   30 s), pollution (Object.prototype and the other built-in
 *   prototypes gaining or changing an own property, or `({}).polluted`-style probes answering), and lost messages:
 *   an accepted message that never reached the events topic, an accepted one that is at the end neither a row in
 *   ClickHouse nor an ingest-stage dead letter, a message refused in a batch answer that is no collector-stage dead
 *   letter, or a batch answer whose counts do not add up to the messages sent.
 * - Counts: `accepted` is messages stored (a 2xx batch answer's `accepted`, 1 for a 2xx single-message answer unless
 *   the message withheld consent); `rejected` is messages refused in 2xx batch answers plus requests refused whole
 *   (each 4xx answer counts one, whatever it held); `dead_lettered` is every record on the dead-letter topic.
 * - Sending pauses while the worker is more than `maxLag` records behind, so the backlog at the end stays bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { deflateSync, gzipSync } from 'node:zlib';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { createClickHouse, quoteIdentifier, sql } from '@leadscore/clickhouse';
import { decodeEvent, deniesAnalytics } from '@leadscore/events';
import { createKafka, createProducer, ensureTopics, topicNames } from '@leadscore/kafka';
import { createLogger } from '@leadscore/log';
import { createRedis } from '@leadscore/redis';
import { bodyBytes, BATCH_ROUTES, generateCase, hostileCase, pollutionSince, snapshotPrototypes, type FuzzCase, type HostileSettings, type HttpCase, type RecordCase } from '../tests/support/hostile-arbitraries.ts';
import { buildCollector } from '../services/collector/src/app.ts';
import { kafkaReadiness } from '../services/collector/src/kafka-health.ts';
import { createCollectorMetrics } from '../services/collector/src/metrics.ts';
import { ProduceBuffer } from '../services/collector/src/produce-buffer.ts';
import { INGEST_NODE_ARGS } from './bench/lib.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export const FUZZ_KEYS: HostileSettings = { writeKey: 'wk_fuzz_browser', importKey: 'ik_fuzz_server', identitySecret: 'fuzz-identity-secret-0123456789' };
/** Marks the records this run produced straight to the events topic (the collector's carry none). */
const RAW_HEADER = 'x-fuzz-raw';
export const DEFAULT_SEED = 20_251_202;
const REQUEST_TIMEOUT_MS = 30_000;

export interface FuzzServices {
  readonly kafkaBrokers: readonly string[];
  readonly redisUrl: string;
  readonly clickhouseUrl: string;
  readonly clickhouseUser: string;
  readonly clickhousePassword: string;
}

export interface FuzzOptions {
  readonly cases: number;
  readonly seed: number;
  /** Requests (or records) in flight at once; default 16. */
  readonly concurrency?: number;
  /** Index of the first case (cases `from` … `from + cases - 1`); default 0. */
  readonly from?: number;
  readonly services: FuzzServices;
  /** Default `fuzz_<yyyymmdd>_<hex>`; must start with `fuzz_` or `t_`, since it is dropped at the end. */
  readonly namespace?: string;
  /** Partitions of the events topic; default 4. */
  readonly partitions?: number;
  /** How long the worker group may be behind without committing anything before it counts as a stall; default 60 s. */
  readonly stallMs?: number;
  /**
   * The worker's INGEST_CLICKHOUSE_LINGER_MS; default 500. The fuzz traffic is a steady trickle, so with the
   * service's default of 0 every small batch is an insert of its own (a few rows each), and ClickHouse 18.16 spends
   * these 2 cores and the disk merging them (measured: 51,748 inserts of 3 rows on average, 81 GB merged).
   */
  readonly clickhouseLingerMs?: number;
  /** Sending pauses while the worker is this many records behind; default 40,000. */
  readonly maxLag?: number;
  /** Progress lines for people (at most one a second while sending). */
  readonly progress?: (line: string) => void;
  /** Stops sending; what was sent is still checked and everything is cleaned up. */
  readonly signal?: AbortSignal;
}

export interface FuzzReport {
  readonly cases: number;
  /** Messages the collector took (answered 2xx and counted as accepted; consent-withheld ones not). */
  readonly accepted: number;
  /** Messages refused in 2xx batch answers, plus requests refused whole (each 4xx answer counts one). */
  readonly rejected: number;
  /** Records on the dead-letter topic, every stage. */
  readonly deadLettered: number;
  readonly crashes: number;
  readonly stalls: number;
  readonly polluted: number;
  readonly lost: number;
  readonly seed: number;
  /** The whole run, from start to clean-up done. */
  readonly seconds: number;
  /** From start to the checks done, before clean-up. */
  readonly checkedSeconds: number;
  readonly namespace: string;
  readonly http: { readonly requests: number; readonly messages: number; readonly byStatus: Record<string, number>; readonly refusedBy: Record<string, number>; readonly consentWithheld: number; readonly networkErrors: number };
  readonly records: { readonly raw: number; readonly collector: number; readonly rawDecoded: Record<string, number>; readonly collectorUndecodable: number; readonly rawWithoutLetter: number };
  readonly deadLetters: Record<string, number>;
  readonly clickhouse: { readonly distinctMessageIds: number };
  readonly lostBy: { readonly neverOnTopic: number; readonly neitherStoredNorDeadLettered: number; readonly refusedButNotDeadLettered: number; readonly answersNotAddingUp: number };
  /** What went wrong, one entry each, with the case index where known. */
  readonly problems: readonly string[];
  /** Findings that are not failures by the rules above but deserve a look (e.g. records the collector wrote that the decoder refuses). */
  readonly notes: readonly string[];
  /** `cases=… accepted=… … seconds=…`: the CLI's last line. */
  readonly line: string;
}

const count = (map: Record<string, number>, key: string, n = 1) => {
  map[key] = (map[key] ?? 0) + n;
};
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function fuzzNamespace(): string {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  return `fuzz_${day}_${randomBytes(4).toString('hex')}`;
}

function assertOwnNamespace(ns: string): void {
  if (!/^(fuzz|t)_[a-z0-9_]{1,44}$/.test(ns)) throw new Error(`refusing namespace ${JSON.stringify(ns)}: the fuzz run drops everything under it, so it must start with fuzz_ or t_`);
}

// --- the run ---------------------------------------------------------------------------------------------------------

interface TopicReader {
  readonly consumer: Consumer;
  /** Next offset to read, per partition. */
  readonly position: Map<number, number>;
}

/** Reads a topic from its beginning as records arrive (a group of its own), handing each record to `each`. */
async function readTopic(kafka: Kafka, groupId: string, topic: string, each: (m: { partition: number; offset: string; value: Buffer | null; headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> }) => void, onCrash: (err: Error) => void): Promise<TopicReader> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, sessionTimeout: 30_000, heartbeatInterval: 3_000, allowAutoTopicCreation: false });
  const position = new Map<number, number>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  consumer.on(consumer.events.CRASH, (e) => onCrash(e.payload.error));
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) each({ partition: batch.partition, offset: m.offset, value: m.value, headers: (m.headers ?? {}) as Record<string, Buffer | string | (Buffer | string)[] | undefined> });
      if (batch.messages.length > 0) position.set(batch.partition, Number(batch.lastOffset()) + 1);
    },
  });
  return { consumer, position };
}

function basic(key: string): string {
  return `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
}

/** The request a case makes: path, headers and body bytes as sent, and the body before compression. */
export function requestOf(c: HttpCase, index: number, now = Date.now()): { path: string; headers: Record<string, string>; body: Buffer; plain: Buffer } {
  const plain = bodyBytes(c.body, { now, caseId: String(index) });
  const headers: Record<string, string> = {};
  if (c.contentType !== null) headers['content-type'] = c.contentType;
  let body = plain;
  if (c.encoding === 'gzip') {
    body = gzipSync(plain);
    headers['content-encoding'] = 'gzip';
  } else if (c.encoding === 'deflate') {
    body = deflateSync(plain);
    headers['content-encoding'] = 'deflate';
  } else if (c.encoding === 'gzip-lie') headers['content-encoding'] = 'gzip';
  else if (c.encoding === 'br') headers['content-encoding'] = 'br';
  if (c.auth === 'write') headers.authorization = basic(FUZZ_KEYS.writeKey);
  else if (c.auth === 'import') headers.authorization = basic(FUZZ_KEYS.importKey);
  else if (c.auth === 'wrong') headers.authorization = basic('wk_nobody_has_this');
  else if (c.auth === 'malformed') headers.authorization = index % 2 === 0 ? 'Basic !!!not-base64' : 'Bearer wk_fuzz_browser';
  return { path: c.route, headers, body, plain };
}

/** Case `index` of seed `seed` in words and bytes, for a bug report (`pnpm fuzz --seed s --show i`). */
export function describeCase(seed: number, index: number): string {
  const c = generateCase(hostileCase(FUZZ_KEYS), seed, index);
  const show = (bytes: Buffer) => {
    const text = bytes.toString('utf8');
    const shown = Buffer.from(text).equals(bytes) ? JSON.stringify(text.length > 4_000 ? `${text.slice(0, 4_000)}…` : text) : `(not UTF-8) hex ${bytes.subarray(0, 2_000).toString('hex')}`;
    return `${bytes.length} bytes: ${shown}`;
  };
  if (c.kind === 'record') {
    const value = c.value === null ? null : bodyBytes(c.value, { now: Date.now(), caseId: String(index) });
    return [`case ${index} of seed ${seed}: a record on the events topic`, `  partition ${c.partition} (mod the topic's), key ${JSON.stringify(c.key)}`, `  headers ${JSON.stringify(c.headers)}`, `  value ${value === null ? 'null' : show(value)}`].join('\n');
  }
  const r = requestOf(c, index);
  return [`case ${index} of seed ${seed}: POST ${r.path}`, `  headers ${JSON.stringify(r.headers)}`, `  body (before ${c.encoding}) ${show(r.plain)}`].join('\n');
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const say = options.progress ?? (() => {});
  const { seed, cases } = options;
  const from = options.from ?? 0;
  const concurrency = Math.max(1, options.concurrency ?? 16);
  const partitions = options.partitions ?? 4;
  const stallMs = options.stallMs ?? 60_000;
  const maxLag = options.maxLag ?? 40_000;
  const ns = options.namespace ?? fuzzNamespace();
  assertOwnNamespace(ns);
  const topics = topicNames(ns);
  const database = quoteIdentifier(ns);
  const group = `${ns}.ingest`;
  const s = options.services;

  const problems: string[] = [];
  const notes: string[] = [];
  const problem = (text: string) => {
    if (problems.length < 200) problems.push(text);
  };
  const note = (text: string) => {
    if (notes.length < 50) notes.push(text);
  };
  let crashes = 0;
  let stalls = 0;
  let polluted = 0;
  let stopped = false;

  // Crashes of this process (it hosts the collector; in production the first one would end the collector): each is
  // counted, and sending goes on. The cases in flight, and those answered just before (an error emitted by a stream
  // after its request was answered), are named; alike crashes are listed twice in full, then only counted.
  const inFlight = new Set<number>();
  const recentlyDone: number[] = [];
  const crashSignatures = new Map<string, { count: number; cases: Set<number> }>();
  const onCrash = (kind: string) => (err: unknown) => {
    crashes++;
    const stack = (err as Error)?.stack ?? String(err);
    const signature = `${kind}: ${stack.split('\n').slice(0, 4).join(' | ')}`;
    const seen = crashSignatures.get(signature) ?? { count: 0, cases: new Set<number>() };
    seen.count++;
    crashSignatures.set(signature, seen);
    const suspects = [...inFlight, ...recentlyDone.slice(-32)].sort((a, b) => a - b);
    for (const c of suspects) if (seen.cases.size < 200) seen.cases.add(c);
    if (seen.count <= 2) problem(`${kind} in the fuzz process (the collector's host): ${stack}\n  cases in flight or just answered: ${suspects.join(', ')} (pnpm fuzz --seed ${seed} --show <case>)`);
  };
  const onUncaught = onCrash('uncaught exception');
  const onRejection = onCrash('unhandled rejection');
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onRejection);

  // The collector's error lines (a 500's stack among them), kept for the report; kafkajs's own go nowhere.
  const collectorErrors: string[] = [];
  const log = createLogger({ service: 'fuzz-collector', level: 'error', namespace: ns }, { write: (line: string) => void (collectorErrors.push(line) > 50 && collectorErrors.shift()) });
  const quiet = createLogger({ service: 'fuzz', level: 'fatal', namespace: ns });
  const kafka = createKafka({ brokers: s.kafkaBrokers, clientId: ns }, quiet);
  const redis = createRedis(s.redisUrl, { maxRetriesPerRequest: 3 });
  // Dropping a database of many parts takes ClickHouse 18.16 from seconds to two minutes on a busy machine: a long timeout.
  const clickhouse = createClickHouse({ url: s.clickhouseUrl, user: s.clickhouseUser, password: s.clickhousePassword, requestTimeoutMs: 600_000 });
  const admin = kafka.admin();

  let worker: ChildProcess | undefined;
  let workerOutput = '';
  let workerExited: string | undefined;
  let app: Awaited<ReturnType<typeof buildCollector>> | undefined;
  let producer: Producer | undefined;
  let rawProducer: Producer | undefined;
  let buffer: ProduceBuffer | undefined;
  let readiness: ReturnType<typeof kafkaReadiness> | undefined;
  const readers: TopicReader[] = [];
  let baseline = snapshotPrototypes();
  let result: Omit<FuzzReport, 'crashes' | 'seconds' | 'checkedSeconds' | 'line'>;
  let checkedSeconds = 0;

  // What the answers said.
  const byStatus: Record<string, number> = {};
  const refusedBy: Record<string, number> = {};
  let accepted = 0;
  let rejected = 0;
  let consentWithheld = 0;
  let networkErrors = 0;
  let requests = 0;
  let messagesSent = 0;
  let refusedInBatches = 0;
  let answersNotAddingUp = 0;
  /** 5xx answers other than 503 by signature (status, error, place in the code). */
  const serverErrors = new Map<string, { count: number; cases: number[] }>();
  /** Unique message ids of messages the collector said it took, each to be found on the events topic. */
  const expectedIds = new Set<string>();

  // What the topics hold.
  const collectorRecords: { id: string; partition: number; offset: string }[] = [];
  const onTopicIds = new Set<string>();
  let collectorUndecodable = 0;
  let rawRecords = 0;
  const rawDecoded: Record<string, number> = {};
  const rawRefused = new Map<string, string>();
  const deadLetters: Record<string, number> = {};
  let lettersTotal = 0;
  let collectorLetters = 0;
  const ingestLetterOrigins = new Map<string, string>();

  const checkPollution = (where: string, full: boolean) => {
    const found = pollutionSince(baseline, full);
    if (found.length === 0) return;
    polluted++;
    problem(`prototype pollution after ${where}: ${found.join('; ')}`);
    // Counted once: what polluted stays polluted, and further pollution is measured from here.
    baseline = snapshotPrototypes();
  };

  const cleanup = async () => {
    stopped = true;
    const step = async (what: string, run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (err) {
        say(`cleanup: ${what} failed: ${(err as Error).message}`);
      }
    };
    await step('collector', async () => app?.close());
    await step('produce buffer', async () => buffer?.drain());
    await step('readiness', async () => readiness?.close());
    await step('producers', async () => Promise.all([producer?.disconnect(), rawProducer?.disconnect()]));
    await step('readers', async () => Promise.all(readers.map((r) => r.consumer.disconnect())));
    await step('ingest worker', async () => {
      const w = worker;
      if (!w || w.exitCode !== null || w.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      w.kill('SIGTERM');
      const timer = setTimeout(() => w.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    });
    await step('topics and groups', async () => {
      await admin.connect();
      await admin.deleteTopics({ topics: [topics.events, topics.eventsDeadLetter] }).catch(() => {});
      await admin.deleteGroups([group, `${ns}.fuzz-events`, `${ns}.fuzz-dlq`]).catch(() => {});
      await admin.disconnect();
    });
    await step('Redis keys', async () => {
      for (const pattern of [`${ns}:*`, `{${ns}.alerts}:*`]) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', 1_000);
          cursor = next.toString();
          for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
        } while (cursor !== '0');
      }
    });
    await step('ClickHouse database', async () => {
      const dropping = performance.now();
      await clickhouse.command({ query: sql`DROP DATABASE IF EXISTS ${database}` });
      const seconds = (performance.now() - dropping) / 1000;
      if (seconds > 5) say(`cleanup: ClickHouse took ${seconds.toFixed(0)} s to drop ${ns}`);
    });
    await step('clients', async () => {
      redis.disconnect();
      await clickhouse.close();
    });
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onRejection);
  };

  try {
    // --- services -------------------------------------------------------------------------------------------------
    say(`namespace ${ns}: topics (${partitions} partitions), readers, ingest worker, collector`);
    await ensureTopics(kafka, [
      { topic: topics.events, numPartitions: partitions, replicationFactor: 1 },
      { topic: topics.eventsDeadLetter, numPartitions: 1, replicationFactor: 1 },
    ]);
    await admin.connect();

    // Readers from the beginning, before anything is written: every record of the events topic through decodeEvent
    // here too (pollution is checked after each batch), every dead letter counted by stage and reason.
    const eventsReader = await readTopic(
      kafka,
      `${ns}.fuzz-events`,
      topics.events,
      (m) => {
        const decoded = decodeEvent(m.value, m.headers);
        if (m.headers[RAW_HEADER] !== undefined) {
          rawRecords++;
          count(rawDecoded, decoded.ok ? 'ok' : decoded.reason);
          if (!decoded.ok) rawRefused.set(`${m.partition}:${m.offset}`, decoded.reason);
          return;
        }
        const header = m.headers['message-id'];
        const id = decoded.ok ? decoded.event.messageId : header === undefined ? '' : String(Array.isArray(header) ? header[0] : header);
        collectorRecords.push({ id, partition: m.partition, offset: m.offset });
        onTopicIds.add(id);
        if (!decoded.ok) {
          collectorUndecodable++;
          if (collectorUndecodable <= 5) note(`the collector wrote a record the worker's decoder refuses (${decoded.reason}: ${decoded.message.slice(0, 300)}), message id ${JSON.stringify(id)}, at ${m.partition}:${m.offset}`);
        }
      },
      (err) => problem(`the events-topic reader crashed: ${err.stack ?? err.message}`),
    );
    readers.push(eventsReader);
    const dlqReader = await readTopic(
      kafka,
      `${ns}.fuzz-dlq`,
      topics.eventsDeadLetter,
      (m) => {
        lettersTotal++;
        let letter: { stage?: string; reason?: string; origin?: { topic?: string; partition?: number; offset?: string } };
        try {
          letter = JSON.parse(m.value?.toString('utf8') ?? 'null') ?? {};
        } catch {
          problem(`a dead letter at ${m.partition}:${m.offset} is not JSON`);
          return;
        }
        count(deadLetters, `${letter.stage}/${letter.reason}`);
        if (letter.stage === 'collector') collectorLetters++;
        if (letter.stage === 'ingest' && letter.origin?.topic === topics.events) ingestLetterOrigins.set(`${letter.origin.partition}:${letter.origin.offset}`, String(letter.reason));
      },
      (err) => problem(`the dead-letter reader crashed: ${err.stack ?? err.message}`),
    );
    readers.push(dlqReader);

    // The ingest worker, the real service in its own process; its migration creates the ClickHouse database.
    const env = {
      NAMESPACE: ns,
      KAFKA_BROKERS: s.kafkaBrokers.join(','),
      REDIS_URL: s.redisUrl,
      CLICKHOUSE_URL: s.clickhouseUrl,
      CLICKHOUSE_USER: s.clickhouseUser,
      CLICKHOUSE_PASSWORD: s.clickhousePassword,
      CLICKHOUSE_DATABASE: '',
      KAFKA_EVENTS_PARTITIONS: String(partitions),
      INGEST_METRICS_PORT: '0',
      INGEST_CLICKHOUSE_LINGER_MS: String(options.clickhouseLingerMs ?? 500),
      LOG_LEVEL: 'warn',
    };
    // In a process group of its own, so Ctrl-C reaches only this process, which stops the worker in its turn.
    worker = spawn(process.execPath, [...INGEST_NODE_ARGS, '--import', 'tsx', 'services/ingest/src/main.ts'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const keep = (d: Buffer) => {
      workerOutput = (workerOutput + d.toString()).slice(-30_000);
    };
    worker.stdout?.on('data', keep);
    worker.stderr?.on('data', keep);
    worker.once('exit', (code, signal) => {
      workerExited = `exit code ${code}${signal ? `, signal ${signal}` : ''}`;
      if (!stopped && !options.signal?.aborted) {
        crashes++;
        stopped = true;
        problem(`the ingest worker exited (${workerExited}); its last output:\n${workerOutput.slice(-6_000)}`);
      }
    });

    // The collector in this process, on a free port.
    producer = createProducer(kafka);
    rawProducer = createProducer(kafka);
    await Promise.all([producer.connect(), rawProducer.connect()]);
    const metrics = createCollectorMetrics();
    buffer = new ProduceBuffer(producer, { lingerMs: 2, maxMessages: 5_000, timeoutMs: 10_000 });
    readiness = kafkaReadiness(kafka, 1_000);
    app = await buildCollector(
      {
        writeKeys: [{ source: 'web', key: FUZZ_KEYS.writeKey }],
        importKeys: [{ source: 'crm', key: FUZZ_KEYS.importKey }],
        sourcePolicies: { web: 'browser', crm: 'server' },
        identitySecrets: { web: FUZZ_KEYS.identitySecret },
        maxFutureMs: 3_600_000,
        maxPastMs: 30 * 86_400_000,
        corsOrigins: ['*'],
        topics: { events: topics.events, deadLetter: topics.eventsDeadLetter },
        noise: { internalRanges: ['10.0.0.0/8'], internalEmailDomains: ['ourcompany.example'], scannerClickSeconds: 10, scannerBurstSeconds: 2, clickWindowMs: 24 * 3_600_000 },
        email: { linkSecret: 'fuzz-link-secret-0123456789', redirectHosts: ['acme.example'] },
      },
      { log, buffer, metrics, kafkaReady: readiness.ready },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    // Ready when the worker is in its group (LOG_LEVEL=warn hides its start-up line).
    const joinBy = Date.now() + 120_000;
    for (;;) {
      if (workerExited) throw new Error(`the ingest worker exited during start-up (${workerExited}):\n${workerOutput.slice(-6_000)}`);
      const { groups } = await admin.describeGroups([group]);
      if (groups[0]?.state === 'Stable' && groups[0].members.length > 0) break;
      if (Date.now() > joinBy) throw new Error(`the ingest worker did not join its group within 120 s:\n${workerOutput.slice(-6_000)}`);
      await sleep(250);
    }
    say(`worker running, collector at ${url}; seed ${seed}, cases ${from}…${from + cases - 1}, concurrency ${concurrency}`);

    // --- the worker's progress: lag, stalls --------------------------------------------------------------------------
    let lag = 0;
    let committedSum = -1;
    let lastMove = Date.now();
    let behindText = '';
    const lookAtGroup = async () => {
      const ends = await admin.fetchTopicOffsets(topics.events);
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topics.events] });
      let behind = 0;
      let sum = 0;
      const parts: string[] = [];
      for (const end of ends) {
        const done = Math.max(0, Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1));
        sum += done;
        const d = Math.max(0, Number(end.high) - done);
        behind += d;
        if (d > 0) parts.push(`partition ${end.partition}: committed ${done} of ${end.high}`);
      }
      if (sum !== committedSum || behind === 0) lastMove = Date.now();
      committedSum = sum;
      lag = behind;
      behindText = parts.join(', ');
    };
    const stalled = () => lag > 0 && Date.now() - lastMove > stallMs;
    const reportStall = (when: string) => {
      stalls++;
      stopped = true;
      problem(`stall ${when}: the worker group committed nothing for ${Math.round((Date.now() - lastMove) / 1000)} s while behind (${behindText}); the worker's last output:\n${workerOutput.slice(-6_000)}`);
    };
    let monitoring = true;
    const monitor = (async () => {
      while (monitoring && !stopped) {
        await lookAtGroup().catch((err: Error) => say(`looking at the worker group failed: ${err.message}`));
        if (stalled()) reportStall('while sending');
        await sleep(1_000);
      }
    })();

    // --- sending ------------------------------------------------------------------------------------------------------
    const arbitrary = hostileCase(FUZZ_KEYS);
    const end = from + cases;
    let next = from;
    let done = 0;
    let lastProgress = 0;
    const sendStarted = performance.now();
    const progressLine = () => {
      const seconds = (performance.now() - sendStarted) / 1000;
      return `cases ${done}/${cases} (${Math.round(done / Math.max(seconds, 0.001))}/s) accepted=${accepted} rejected=${rejected} 503=${byStatus['503'] ?? 0} crashes=${crashes} records_behind=${lag}`;
    };

    const sendHttp = async (c: HttpCase, index: number) => {
      const r = requestOf(c, index);
      requests++;
      let status: number;
      let text: string;
      // A timer of its own, cleared on the answer: AbortSignal.timeout would keep every request (body included) for
      // the whole timeout.
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(new DOMException('request timed out', 'TimeoutError')), REQUEST_TIMEOUT_MS);
      try {
        const response = await fetch(`${url}${r.path}`, { method: 'POST', headers: r.headers, body: r.body, signal: abort.signal });
        status = response.status;
        text = await response.text();
      } catch (err) {
        if (abort.signal.aborted) {
          stalls++;
          problem(`case ${index}: ${r.path} was not answered within ${REQUEST_TIMEOUT_MS / 1000} s`);
        } else {
          networkErrors++;
          if (networkErrors <= 5) note(`case ${index}: ${r.path}: the request failed without an answer: ${(err as Error).message} (${String((err as { cause?: Error }).cause?.message ?? '')})`);
        }
        return;
      } finally {
        clearTimeout(timer);
      }
      count(byStatus, String(status));
      const isBatch = (BATCH_ROUTES as readonly string[]).includes(c.route);
      let answer: Record<string, unknown> = {};
      try {
        answer = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // judged by its status below
      }
      if (status >= 200 && status < 300) {
        // What was sent, as the collector parsed it (only a body that parses is answered 2xx).
        let sent: unknown;
        try {
          sent = JSON.parse(r.plain.toString('utf8'));
        } catch {
          problem(`case ${index}: ${c.route} answered ${status} to a body that is not JSON`);
          return;
        }
        if (isBatch) {
          const took = Number(answer.accepted ?? 0);
          const refused = Array.isArray(answer.rejected) ? (answer.rejected as { index?: number; reason?: string }[]) : [];
          const withheld = Number(answer.consentWithheld ?? 0);
          const batch = isRecord(sent) && Array.isArray(sent.batch) ? (sent.batch as unknown[]) : [];
          messagesSent += batch.length;
          accepted += took;
          rejected += refused.length;
          consentWithheld += withheld;
          refusedInBatches += refused.length;
          for (const x of refused) count(refusedBy, String(x.reason));
          if (took + refused.length + withheld !== batch.length) {
            answersNotAddingUp += Math.abs(batch.length - took - refused.length - withheld);
            problem(`case ${index}: ${c.route} answered accepted ${took}, ${refused.length} refused, ${withheld} withheld for a batch of ${batch.length}`);
          }
          if (withheld === 0) {
            const refusedAt = new Set(refused.map((x) => x.index));
            batch.forEach((m, i) => {
              if (!refusedAt.has(i) && isRecord(m) && typeof m.messageId === 'string' && m.messageId.startsWith(`fz-${index}-`)) expectedIds.add(m.messageId);
            });
          }
        } else {
          messagesSent++;
          // A single route's answer does not say whether consent was withheld; the rule is the one in packages/events.
          const withheld = isRecord(sent) && isRecord(sent.context) && deniesAnalytics(sent.context) ? 1 : 0;
          accepted += 1 - withheld;
          consentWithheld += withheld;
          if (!withheld && isRecord(sent) && typeof sent.messageId === 'string' && sent.messageId.startsWith(`fz-${index}-`)) expectedIds.add(sent.messageId);
        }
      } else if (status >= 400 && status < 500) {
        if (!isBatch) messagesSent++;
        rejected++;
        count(refusedBy, `${status} ${String(answer.error ?? 'no error field')}`);
      } else if (status !== 503) {
        crashes++;
        // Alike failures (same status, error and place) are listed twice in full, then only counted, with their cases.
        const logged = collectorErrors.at(-1) ?? '';
        let err: { message?: string; stack?: string } = {};
        try {
          err = (JSON.parse(logged) as { err?: typeof err }).err ?? {};
        } catch {
          // not a JSON line
        }
        const place = /\((\/[^)]*\/(?:services|packages)\/[^)]*)\)/.exec(err.stack ?? '')?.[1] ?? '';
        const signature = `${status} ${(err.message ?? text).replace(/\b(null|undefined)\b/g, '…')} ${place}`;
        const seen = serverErrors.get(signature) ?? { count: 0, cases: [] };
        seen.count++;
        if (seen.cases.length < 20) seen.cases.push(index);
        serverErrors.set(signature, seen);
        if (seen.count <= 2) problem(`case ${index}: POST ${c.route} answered ${status}: ${text.slice(0, 500)}${logged ? `\n  the collector logged: ${logged.slice(0, 3_000)}` : ''}`);
      }
    };

    const sendRecord = async (c: RecordCase, index: number) => {
      const value = c.value === null ? null : bodyBytes(c.value, { now: Date.now(), caseId: String(index) });
      try {
        await rawProducer!.send({ topic: topics.events, acks: -1, messages: [{ partition: c.partition % partitions, key: c.key, value, headers: { ...c.headers, [RAW_HEADER]: '1' } }] });
      } catch (err) {
        note(`case ${index}: producing a raw record of ${value?.length ?? 0} bytes failed: ${(err as Error).message}`);
      }
    };

    const lane = async () => {
      while (!stopped && !options.signal?.aborted) {
        while (lag > maxLag && !stopped && !options.signal?.aborted) await sleep(200);
        const index = next++;
        if (index >= end) return;
        let c: FuzzCase;
        try {
          c = generateCase(arbitrary, seed, index);
        } catch (err) {
          problem(`case ${index} could not be generated: ${(err as Error).stack}`);
          continue;
        }
        inFlight.add(index);
        if (c.kind === 'http') await sendHttp(c, index);
        else await sendRecord(c, index);
        inFlight.delete(index);
        if (recentlyDone.push(index) > 64) recentlyDone.shift();
        done++;
        checkPollution(`case ${index}`, done % 250 === 0);
        const now = performance.now();
        if (now - lastProgress >= 1_000) {
          lastProgress = now;
          say(progressLine());
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    await buffer.drain();
    say(`${progressLine()}; sent in ${((performance.now() - sendStarted) / 1000).toFixed(1)} s (this process: ${Math.round(process.memoryUsage().rss / 1e6)} MB resident)`);

    // --- the worker catches up ------------------------------------------------------------------------------------
    monitoring = false;
    await monitor;
    if (!workerExited && stalls === 0) {
      lastMove = Date.now();
      const lastProduce = Date.now();
      for (;;) {
        await lookAtGroup();
        if (lag === 0) break;
        if (workerExited) break;
        if (stalled()) {
          reportStall('after the last produce');
          break;
        }
        if (Date.now() - lastProduce > 5 * stallMs) {
          stalls++;
          problem(`stall after the last produce: the worker group is still behind ${Math.round((Date.now() - lastProduce) / 1000)} s after it (${behindText}), though committing`);
          break;
        }
        say(`waiting for the worker: ${lag} records behind`);
        await sleep(1_000);
      }
    }

    // --- read everything back ---------------------------------------------------------------------------------------
    const readToEnd = async (reader: TopicReader, topic: string) => {
      const ends = await admin.fetchTopicOffsets(topic);
      const by = Date.now() + 60_000;
      for (;;) {
        const short = ends.filter((e) => Number(e.high) > 0 && (reader.position.get(e.partition) ?? 0) < Number(e.high));
        if (short.length === 0) return;
        if (Date.now() > by) {
          problem(`could not read ${topic} to its end within 60 s (${short.map((e) => `partition ${e.partition}: ${reader.position.get(e.partition) ?? 0} of ${e.high}`).join(', ')})`);
          return;
        }
        await sleep(100);
      }
    };
    await readToEnd(eventsReader, topics.events);
    await readToEnd(dlqReader, topics.eventsDeadLetter);
    checkPollution('reading the topics back', true);

    const rows = (await (await clickhouse.query({ query: sql`SELECT hex(message_id) AS h FROM ${database}.events GROUP BY h`, format: 'JSONEachRow' })).json()) as { h: string }[];
    const stored = new Set(rows.map((r) => r.h));
    const hex = (id: string) => Buffer.from(id, 'utf8').toString('hex').toUpperCase();

    // --- no partial write ------------------------------------------------------------------------------------------
    let neverOnTopic = 0;
    for (const id of expectedIds) {
      if (!onTopicIds.has(id)) {
        neverOnTopic++;
        if (neverOnTopic <= 5) problem(`message ${JSON.stringify(id)} was accepted but is not on the events topic`);
      }
    }
    if (accepted > collectorRecords.length) {
      problem(`the collector accepted ${accepted} messages but wrote ${collectorRecords.length} records`);
      neverOnTopic = Math.max(neverOnTopic, accepted - collectorRecords.length);
    }
    let neitherStoredNorDeadLettered = 0;
    if (!workerExited && stalls === 0) {
      for (const r of collectorRecords) {
        if (stored.has(hex(r.id)) || ingestLetterOrigins.has(`${r.partition}:${r.offset}`)) continue;
        neitherStoredNorDeadLettered++;
        if (neitherStoredNorDeadLettered <= 5) problem(`message ${JSON.stringify(r.id)} (events ${r.partition}:${r.offset}) is neither a row in ClickHouse nor an ingest dead letter`);
      }
    } else note('the stored-or-dead-lettered check was skipped: the worker crashed or stalled, so what it did not reach proves nothing');
    const refusedButNotDeadLettered = Math.max(0, refusedInBatches - collectorLetters);
    if (refusedButNotDeadLettered > 0) problem(`${refusedInBatches} messages were refused in batch answers but only ${collectorLetters} collector dead letters exist`);
    const lost = neverOnTopic + neitherStoredNorDeadLettered + refusedButNotDeadLettered + answersNotAddingUp;

    // Raw records the decoder refuses should each be an ingest dead letter (a note, not a failure: not accepted by anyone).
    let rawWithoutLetter = 0;
    for (const [origin, reason] of rawRefused) {
      const letter = ingestLetterOrigins.get(origin);
      if (letter === reason) continue;
      rawWithoutLetter++;
      if (rawWithoutLetter <= 5) note(`raw record ${origin}: decodeEvent says ${reason}, the worker's dead letter says ${letter ?? '(none)'}`);
    }

    for (const [signature, seen] of crashSignatures) {
      if (seen.count > 2) problem(`${seen.count} crashes in all like ${signature}`);
    }
    for (const [signature, seen] of serverErrors) {
      if (seen.count > 2) problem(`${seen.count} requests in all were answered ${signature}: cases ${seen.cases.join(', ')}${seen.count > seen.cases.length ? ', …' : ''}`);
    }
    checkPollution('the checks', true);
    checkedSeconds = (performance.now() - started) / 1000;
    result = {
      cases: done,
      accepted,
      rejected,
      deadLettered: lettersTotal,
      stalls,
      polluted,
      lost,
      seed,
      namespace: ns,
      http: { requests, messages: messagesSent, byStatus, refusedBy, consentWithheld, networkErrors },
      records: { raw: rawRecords, collector: collectorRecords.length, rawDecoded, collectorUndecodable, rawWithoutLetter },
      deadLetters,
      clickhouse: { distinctMessageIds: stored.size },
      lostBy: { neverOnTopic, neitherStoredNorDeadLettered, refusedButNotDeadLettered, answersNotAddingUp },
      problems,
      notes,
    };
  } finally {
    say('cleaning up: collector, worker, topics, Redis keys, ClickHouse database');
    await cleanup();
  }
  // The whole run, clean-up included (ClickHouse may take a minute or two to drop the database).
  const seconds = (performance.now() - started) / 1000;
  const line = `cases=${result.cases} accepted=${result.accepted} rejected=${result.rejected} dead_lettered=${result.deadLettered} crashes=${crashes} stalls=${result.stalls} polluted=${result.polluted} lost=${result.lost} seed=${seed} seconds=${seconds.toFixed(1)}`;
  return { ...result, crashes, seconds, checkedSeconds, line };
}

/** The figures of a report for people, one topic a line (the CLI prints them before the last line). */
export function describeReport(r: FuzzReport): string[] {
  const list = (m: Record<string, number>) =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}=${v}`)
      .join(', ') || '(none)';
  return [
    `namespace ${r.namespace}, seed ${r.seed}: ${r.cases} cases (${r.http.requests} requests holding ${r.http.messages} messages, ${r.records.raw} raw records), checked after ${r.checkedSeconds.toFixed(1)} s, cleaned up after ${r.seconds.toFixed(1)} s`,
    `answers by status: ${list(r.http.byStatus)}; requests without an answer: ${r.http.networkErrors}`,
    `refused (batch answers by reason; whole requests by status and error): ${list(r.http.refusedBy)}`,
    `accepted ${r.accepted} messages, consent withheld ${r.http.consentWithheld}; the collector wrote ${r.records.collector} records (${r.records.collectorUndecodable} of them refused by decodeEvent)`,
    `raw records by decodeEvent: ${list(r.records.rawDecoded)}; refused ones without their dead letter: ${r.records.rawWithoutLetter}`,
    `dead letters by stage/reason: ${list(r.deadLetters)}`,
    `ClickHouse: ${r.clickhouse.distinctMessageIds} distinct message ids in events`,
    `lost: never on the topic ${r.lostBy.neverOnTopic}, neither stored nor dead-lettered ${r.lostBy.neitherStoredNorDeadLettered}, refused but not dead-lettered ${r.lostBy.refusedButNotDeadLettered}, answers not adding up ${r.lostBy.answersNotAddingUp}`,
    ...r.notes.map((n) => `note: ${n}`),
    ...r.problems.map((p) => `PROBLEM: ${p}`),
  ];
}
