/**
 * `pnpm bench:ingest`: the ingest worker (the real service in its own process) draining a backlog of events into
 * Redis portraits and ClickHouse rows, beside a bare kafkajs consumer reading the same topic in the same run,
 * redis-benchmark calling a trivial Lua script by EVALSHA, and the lean reference pipeline (shared/baselines/
 * lean-ingest.mjs: the least work an ingest worker of this shape can do per event); then, with the worker caught up, a
 * paced live phase: the same mix produced at a few steady rates, each measured for its ClickHouse inserts, the merges
 * they cause, and the latency from an event acknowledged by Kafka to its portrait updated and to its hot-lead alert
 * enqueued.
 *
 * With --workers 1,2 each worker count drains the same seeded backlog in a namespace of its own (its own topic,
 * consumer group, Redis keys and ClickHouse database), one count after the other, each namespace removed before the
 * next starts; the workers of one count share the topic's partitions as one consumer group, and their /metrics are
 * summed.
 *
 * The baseline reads a copy of the backlog produced before any worker runs. The workers' group then starts at the end
 * of the topic; once every worker is in it (a worker joining later would stop the others for a rebalance, which is
 * start-up, not throughput), the backlog is produced again, for them. Throughput is (events − those processed while
 * it was produced) ÷ the time from the first /metrics poll after producing to the poll that finds the group's
 * committed offsets at the end of the topic, polled every 100 ms; the baseline is timed from its first fetch to its
 * last batch. Beside the figures it prints the CPU each part used (from /proc) and what ClickHouse did (system.events),
 * since on 2 shared cores those explain the figures.
 *
 * The paced phase and the lean run once, with the smallest worker count. The backlog is merged to one part per
 * partition first (OPTIMIZE FINAL, as hours after a backfill), then after an untimed warm-up (a few seconds at the
 * first pace, whose inserts wake ClickHouse's merges), each pace produces the mix with
 * current timestamps at that many events a second for --paced-seconds; a share of them are probes (a page view of a
 * lead of its own, watched in Redis until its portrait's last_seen appears) and alert triggers (a demo request from
 * a brand-new lead, which fires the `demo-request` form rule and, its heat crossing `hot`, `became-hot`: watched in
 * the hot-lead queue until either job exists, by their deterministic ids). Per pace: the worst table's ClickHouse
 * inserts per second per worker (the workers' ingest_clickhouse_inserts_total{table}), merge amplification (rows
 * merged ÷ rows inserted over the pace and a settle after it, so the merges the pace caused are counted: the
 * namespace's own parts from system.parts, server-wide system.events beside it), both latencies and the CPU. The
 * lean then drains the namespace's topic (both copies of the backlog and the paced events) with no worker running,
 * and reports events/s.
 *
 * Options: --events N (backlog, default 100000), --workers LIST (worker counts, comma-separated, default 1),
 *          --paced-seconds S (each pace, default 20), --paces LIST (events/s, comma-separated, default 10,300,3000),
 *          --redis-requests N (redis-benchmark's EVALSHA calls, default 500000; 0 skips it), --lean-script PATH (the
 *          lean baseline, default ../shared/baselines/lean-ingest.mjs from the project root; `none` skips it),
 *          --profile-worker DIR (writes the workers' V8 CPU profiles there when they stop).
 * Environment: KAFKA_EVENTS_PARTITIONS (default 6), INGEST_PARTITIONS_CONCURRENTLY (default 4) and
 * INGEST_MAX_BATCH_BYTES (default 1 MiB), given to the worker and the baseline alike. Needs the services running
 * (scripts/services.sh up) and redis-benchmark (redis-tools) on the PATH.
 * Last line: events_per_s=… baseline_events_per_s=… ratio=… p50_ms=… p99_ms=… alert_p50_ms=… alert_p99_ms=…
 * workers=… clickhouse_inserts_per_s=… merge_amplification=… [clickhouse_inserts_per_s_P=… merge_amplification_P=…
 * for every pace P] lean_events_per_s=… ratio_lean=… redis_evalsha_per_s=… ratio_redis=… [events_per_s_N_workers=…
 * speedup_N_workers=… for every other count] redis_roundtrips_per_event=… clickhouse_inserts_per_batch=… —
 * events_per_s and the ratios are those of the smallest count (`workers`); the latencies are at the pace nearest
 * 300 events/s; clickhouse_inserts_per_s and merge_amplification are the worst over the paces.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { relative, resolve as resolvePath } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { Redis } from 'ioredis';
import { Partitioners, type Admin, type Message, type Producer } from 'kafkajs';
import { createClickHouse, quoteIdentifier, sql } from '@leadscore/clickhouse';
import { loadConfigOrExit } from '@leadscore/config';
import { ALERTS_QUEUE, alertJobId, alertsQueuePrefix, encodeEvent, intakeMessage } from '@leadscore/events';
import { createKafka, ensureTopics, topicNames } from '@leadscore/kafka';
import { createLogger } from '@leadscore/log';
import { eventCountOf, profileKeys, STATE_FIELDS } from '@leadscore/portrait';
import { mulberry32 } from '@leadscore/simulator';
import {
  INGEST_NODE_ARGS,
  ROOT,
  benchNamespace,
  cpuSeconds,
  fmt,
  freePort,
  machineCpu,
  percentile,
  processTree,
  progress,
  scrapeMetrics,
  startProcess,
  type RunningProcess,
} from './lib.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    workers: { type: 'string', default: '1' },
    'paced-seconds': { type: 'string', default: '20' },
    paces: { type: 'string', default: '10,300,3000' },
    'redis-requests': { type: 'string', default: '500000' },
    'lean-script': { type: 'string', default: '../shared/baselines/lean-ingest.mjs' },
    'profile-worker': { type: 'string' },
  },
});
const total = Number(args.events);
const pacedSeconds = Number(args['paced-seconds']);
const redisRequests = Number(args['redis-requests']);
for (const [name, value] of Object.entries({ events: total, 'paced-seconds': pacedSeconds, 'redis-requests': redisRequests })) {
  if (!Number.isFinite(value) || value < 0 || (name !== 'redis-requests' && value < 1)) throw new Error(`--${name} must be a number of at least ${name === 'redis-requests' ? 0 : 1}`);
}
const paces = parsePaces(args.paces);
/** Relative to the project root, where the lean must run (it resolves kafkajs and the clients from packages/*). */
const leanScript = args['lean-script'] === 'none' ? undefined : resolvePath(ROOT, args['lean-script']);
if (leanScript && !existsSync(leanScript)) throw new Error(`the lean baseline ${leanScript} is missing (--lean-script PATH, or none to skip it)`);
const workerCounts = parseWorkerCounts(args.workers);

/** `10,300,3000` → [10, 300, 3000]: distinct paces in events/s, slowest first. */
function parsePaces(list: string): number[] {
  const rates = list.split(',').map((s) => Number(s.trim()));
  if (rates.length === 0 || rates.some((n) => !Number.isInteger(n) || n < 1 || n > 20_000)) throw new Error(`--paces must be rates from 1 to 20000 events/s, comma-separated, e.g. 10,300,3000 (got ${list})`);
  return [...new Set(rates)].sort((a, b) => a - b);
}

/** `1,2` → [1, 2]: distinct positive worker counts, smallest first (the first one is the headline's). */
function parseWorkerCounts(list: string): number[] {
  const counts = list.split(',').map((s) => Number(s.trim()));
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1 || n > 16)) throw new Error(`--workers must be worker counts from 1 to 16, comma-separated, e.g. 1,2 (got ${list})`);
  return [...new Set(counts)].sort((a, b) => a - b);
}

const config = loadConfigOrExit('bench');
/** The run's prefix; each worker count's namespace adds `_w<count>` to it, so everything the run makes starts with it. */
const runId = benchNamespace('ingest');
const partitions = config.kafka.eventsPartitions;
const concurrency = config.ingest.partitionsConcurrently;
const log = createLogger({ service: 'bench', level: 'warn', namespace: runId });
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: runId }, log);
const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 3 });
const clickhouse = createClickHouse({ url: config.clickhouse.url, user: config.clickhouse.user, password: config.clickhouse.password });

/** One worker count's namespace: it names the topics, the consumer groups, the Redis keys and the ClickHouse database. */
interface Space {
  readonly ns: string;
  readonly topics: ReturnType<typeof topicNames>;
  readonly database: ReturnType<typeof quoteIdentifier>;
}
function space(workers: number): Space {
  const ns = `${runId}_w${workers}`;
  return { ns, topics: topicNames(ns), database: quoteIdentifier(ns) };
}

// --- the event mix --------------------------------------------------------------------------------------------------

/** A few thousand people: leads who browse anonymously, then identify, and visitors who never do. */
const LEADS = 2_500;
const ANONYMOUS_VISITORS = 4_000;
const COMPANIES = 400;
const DAY_MS = 86_400_000;
const HISTORY_DAYS = 28;
const FIRST_NAMES = ['ana', 'ben', 'chen', 'dana', 'emil', 'fatima', 'gero', 'hana', 'ivan', 'jun', 'kofi', 'lena', 'mateo', 'nora', 'omar', 'priya'];
const LAST_NAMES = ['schmidt', 'garcia', 'wang', 'okafor', 'novak', 'silva', 'kim', 'muller', 'rossi', 'tanaka', 'dubois', 'larsen'];
const FREE_MAIL = ['gmail.com', 'outlook.com', 'yahoo.com', 'qq.com'];
const PAGES = [
  { path: '/', title: 'Home' },
  { path: '/pricing', title: 'Pricing' },
  { path: '/product/integrations', title: 'Integrations' },
  { path: '/docs/getting-started', title: 'Getting started' },
  { path: '/customers', title: 'Case studies' },
  { path: '/blog/lead-scoring-101', title: 'Lead scoring 101' },
  { path: '/security', title: 'Security' },
  { path: '/demo', title: 'Book a demo' },
];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
];
const REFERRERS = ['https://www.google.com/', 'https://www.linkedin.com/', 'https://news.ycombinator.com/', ''];

type Kind = 'page' | 'identify' | 'form' | 'email_open' | 'email_click' | 'order' | 'group' | 'track';
/** Cumulative shares: page views most, then the email campaign traffic, identifies and forms, few orders. */
const MIX: readonly [Kind, number][] = [
  ['page', 0.66],
  ['identify', 0.7],
  ['form', 0.74],
  ['email_open', 0.86],
  ['email_click', 0.92],
  ['order', 0.94],
  ['group', 0.96],
  ['track', 1],
];

/**
 * Raw Segment messages of the mix, as a site and an email tool would send them; ids start with `prefix`. Their
 * timestamps spread over the `historyDays` before `now` (a backlog); 0 stamps them `now` (live traffic).
 */
function eventMaker(prefix: string, seed: number, historyDays = HISTORY_DAYS) {
  // Seeded, so two runs produce the same mix.
  const rnd = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  // Skewed, as real traffic is: a small share of the people make most of the events.
  const skewed = (n: number) => Math.floor(n * rnd() ** 2);
  const lead = (i: number) => {
    const name = `${FIRST_NAMES[i % FIRST_NAMES.length]}.${LAST_NAMES[i % LAST_NAMES.length]}${i}`;
    const company = i % COMPANIES;
    const domain = i % 5 === 0 ? (FREE_MAIL[i % FREE_MAIL.length] as string) : `company-${company}.example`;
    return { userId: `lead-${i}`, visitor: `v-${i}`, email: `${name}@${domain}`, name, company };
  };
  const context = (rnd: () => number, page?: { path: string; title: string }) => ({
    ip: `198.51.100.${Math.floor(rnd() * 250) + 1}`,
    userAgent: pick(USER_AGENTS),
    locale: 'en-US',
    library: { name: 'analytics.js', version: '5.2.0' },
    ...(page ? { page: { path: page.path, url: `https://www.acme.example${page.path}`, title: page.title, referrer: pick(REFERRERS) } } : {}),
    ...(rnd() < 0.2 ? { campaign: { source: 'newsletter', medium: 'email', name: 'q3-launch' } } : {}),
  });
  let n = 0;
  return (now: number): Record<string, unknown> => {
    const i = n++;
    const r = rnd();
    const kind = MIX.find(([, upTo]) => r < upTo)?.[0] ?? 'page';
    const base = { messageId: `${prefix}-${i}`, timestamp: new Date(now - Math.floor(rnd() * historyDays * DAY_MS)).toISOString() };
    const person = lead(skewed(LEADS));
    switch (kind) {
      case 'page': {
        const page = pick(PAGES);
        const props = { path: page.path, url: `https://www.acme.example${page.path}`, title: page.title, referrer: pick(REFERRERS) };
        // Most page views are anonymous: visitors who never identify, and leads before (or without) logging in.
        if (rnd() < 0.55) return { ...base, type: 'page', anonymousId: `anon-${skewed(ANONYMOUS_VISITORS)}`, name: page.title, properties: props, context: context(rnd, page) };
        const known = rnd() < 0.5 ? { userId: person.userId } : {};
        return { ...base, type: 'page', anonymousId: person.visitor, ...known, name: page.title, properties: props, context: context(rnd, page) };
      }
      case 'identify':
        return {
          ...base,
          type: 'identify',
          userId: person.userId,
          anonymousId: person.visitor,
          traits: { email: person.email, name: person.name, title: pick(['CTO', 'VP Engineering', 'Head of Data', 'Developer']), company: `Company ${person.company}` },
          context: context(rnd),
        };
      case 'form': {
        const page = PAGES[7] as { path: string; title: string };
        // Half from anonymous visitors with an email of their own (provisional e: leads), half from leads not
        // logged in yet (their visitor is linked to the email's lead, later to the user).
        const anonymous = rnd() < 0.5 ? skewed(ANONYMOUS_VISITORS) : undefined;
        const visitor = anonymous === undefined ? person.visitor : `anon-${anonymous}`;
        const email = anonymous === undefined ? person.email : `visitor${anonymous}@company-${anonymous % COMPANIES}.example`;
        return {
          ...base,
          type: 'track',
          event: 'Form Submitted',
          anonymousId: visitor,
          properties: { form_id: 'demo-request', email, name: person.name, company: `Company ${person.company}`, budget: pick(['<10k', '10k-50k', '100k+']) },
          context: context(rnd, page),
        };
      }
      case 'email_open':
        return { ...base, type: 'track', event: 'Email Opened', userId: person.userId, properties: { email_id: `mail-${i % 12}-${person.userId}`, campaign_id: `cmp-${i % 12}`, campaign_name: 'Q3 launch', email_subject: 'What is new in Q3' }, context: context(rnd) };
      case 'email_click':
        return {
          ...base,
          type: 'track',
          event: 'Email Link Clicked',
          userId: person.userId,
          properties: { email_id: `mail-${i % 12}-${person.userId}`, campaign_id: `cmp-${i % 12}`, link_url: 'https://www.acme.example/pricing?utm_source=newsletter' },
          context: context(rnd),
        };
      case 'order':
        return {
          ...base,
          type: 'track',
          event: 'Order Completed',
          userId: person.userId,
          properties: { order_id: `${prefix}-order-${i}`, revenue: Math.round(rnd() * 50_000) / 10, currency: 'USD', products: [{ sku: 'seat', quantity: 1 + Math.floor(rnd() * 40) }] },
          context: context(rnd),
        };
      case 'group':
        return { ...base, type: 'group', userId: person.userId, groupId: `company-${person.company}`, traits: { name: `Company ${person.company}`, industry: 'software', employees: 50 + person.company }, context: context(rnd) };
      case 'track':
        return { ...base, type: 'track', event: 'Feature Used', userId: person.userId, properties: { feature: pick(['export', 'alerts', 'api']) }, context: context(rnd) };
    }
  };
}

/** A raw message stamped as the collector would (source, receivedAt, corrected timestamp) and encoded as a record. */
function record(raw: Record<string, unknown>, receivedAt: Date): Message {
  const result = intakeMessage(raw, { receivedAt, source: { id: 'web', kind: 'segment' }, maxFutureMs: 3_600_000, maxPastMs: null });
  if (!result.ok) throw new Error(`the bench made an invalid event: ${JSON.stringify(result.issues)}`);
  return encodeEvent(result.event);
}

// --- helpers over the services --------------------------------------------------------------------------------------

function bareProducer(): Producer {
  // Not idempotent, any number of requests in flight: the fastest way in, so the backlog is ready in seconds.
  return kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
}

async function produceBacklog(producer: Producer, topic: string, records: readonly Message[]): Promise<number> {
  const CHUNK = 1_000;
  const started = performance.now();
  let next = 0;
  let done = 0;
  let failed = false;
  const sender = async () => {
    // One failed send ends them all: senders left running would go on retrying while the bench cleans up.
    while (next < records.length && !failed) {
      const chunk = records.slice(next, next + CHUNK);
      next += CHUNK;
      await producer.send({ topic, acks: -1, messages: chunk }).catch((err: unknown) => {
        failed = true;
        throw err;
      });
      const before = done;
      done += chunk.length;
      const tenth = Math.max(1, Math.floor(records.length / 10));
      if (Math.floor(done / tenth) > Math.floor(before / tenth)) progress(`  produced ${done}/${records.length}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, sender));
  return records.length / ((performance.now() - started) / 1000);
}

async function committedSum(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
}

/** Whether `members` consumers are in the group with the partitions assigned among them. */
async function groupComplete(admin: Admin, groupId: string, members: number): Promise<boolean> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups[0];
  return group?.state === 'Stable' && group.members.length >= members;
}

/** The baseline: the same topic read to the end by a consumer that does nothing with the records. */
async function bareConsumer(s: Space, expected: number): Promise<{ perSecond: number; seconds: number }> {
  const consumer = kafka.consumer({
    groupId: `${s.ns}.baseline`,
    // As the worker's consumer (packages/kafka/src/batch-consumer.ts), so only the work on the records differs.
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    maxWaitTimeInMs: 250,
    maxBytesPerPartition: config.ingest.maxBatchBytes,
    allowAutoTopicCreation: false,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: s.topics.events, fromBeginning: true });
    // From its first fetch (the group joined), so the baseline pays for reading the first records too.
    let first: number | undefined;
    consumer.on(consumer.events.FETCH_START, () => {
      first ??= performance.now();
    });
    let seen = 0;
    const finished = new Promise<number>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: concurrency,
        eachBatch: async ({ batch, resolveOffset }) => {
          if (batch.messages.length === 0) return;
          resolveOffset(batch.lastOffset());
          seen += batch.messages.length;
          if (seen >= expected) resolve(performance.now());
        },
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the bare consumer read ${seen}/${expected} within 120 s`)), 120_000);
    });
    const end = await Promise.race([finished, timeout]).finally(() => clearTimeout(timer));
    const seconds = (end - (first ?? end)) / 1000;
    return { perSecond: expected / seconds, seconds };
  } finally {
    await consumer.disconnect();
  }
}

const runFile = promisify(execFile);

/** REDIS_URL as redis-benchmark options, and `host:port` to show in the figures (never the password). */
function redisTarget(): { argv: string[]; shown: string } {
  const url = new URL(config.redis.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port || '6379';
  const argv = ['-h', host, '-p', port];
  if (url.password) argv.push(...(url.username ? ['--user', decodeURIComponent(url.username)] : []), '-a', decodeURIComponent(url.password));
  if (url.pathname.length > 1) argv.push('--dbnum', url.pathname.slice(1));
  if (url.protocol === 'rediss:') argv.push('--tls');
  return { argv, shown: `${host}:${port}` };
}

/**
 * The Redis baseline: redis-benchmark calling a script that does nothing (`return 1`) by EVALSHA over 50 connections
 * in pipelines of 16, the most script calls this Redis takes on this machine. Every portrait update is a script call,
 * so the ratio to it shows how much the worker's batching and its other work cost per event.
 */
async function redisEvalsha(requests: number): Promise<{ perSecond: number; description: string }> {
  const sha = String(await redis.script('LOAD', 'return 1'));
  const target = redisTarget();
  const options = ['-n', String(requests), '-c', '50', '-P', '16', '-q'];
  progress(`baseline: redis-benchmark ${options.join(' ')} EVALSHA ${sha} 0 against ${target.shown}`);
  let stdout: string;
  try {
    ({ stdout } = await runFile('redis-benchmark', [...target.argv, ...options, 'EVALSHA', sha, '0'], { timeout: 120_000 }));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? 'redis-benchmark is not on the PATH (Debian: redis-tools, installed by scripts/services.sh up)' : `redis-benchmark failed: ${(err as Error).message}`);
  }
  // -q rewrites a progress line with \r and ends with `EVALSHA <sha> 0: <n> requests per second, p50=…`.
  const perSecond = Number([...stdout.matchAll(/([\d.]+) requests per second/g)].at(-1)?.[1]);
  if (!Number.isFinite(perSecond) || perSecond <= 0) throw new Error(`redis-benchmark printed no requests per second:\n${stdout.slice(-2_000)}`);
  return { perSecond, description: `${requests} calls, 50 connections, pipelines of 16, ${target.shown}` };
}

const sumOf = (m: Map<string, number>, name: string) => [...m].reduce((n, [series, v]) => (series === name || series.startsWith(`${name}{`) ? n + v : n), 0);
const processedOf = (m: Map<string, number>) => sumOf(m, 'ingest_events_processed_total');

/** The workers' /metrics added up series by series: the counters and histograms of the group as one. */
async function scrapeAll(urls: readonly string[]): Promise<Map<string, number>> {
  const total = new Map<string, number>();
  for (const metrics of await Promise.all(urls.map((url) => scrapeMetrics(url)))) {
    for (const [series, value] of metrics) total.set(series, (total.get(series) ?? 0) + value);
  }
  return total;
}

/** CPU used so far by each part of the pipeline; the services' pids come from scripts/services.sh's pid files. */
function servicePid(name: string): number | undefined {
  try {
    return Number(readFileSync(`${process.env.LEADSCORE_DATA_DIR ?? `${ROOT}.data`}/default/${name}/pid`, 'utf8').trim());
  } catch {
    return undefined;
  }
}
const servicePids = { kafka: servicePid('kafka'), redis: servicePid('redis'), clickhouse: servicePid('clickhouse') };
type CpuSnapshot = { at: number; parts: Record<string, number>; machine: { busy: number; total: number } };
function cpuSnapshot(group: Workers): CpuSnapshot {
  const self = process.cpuUsage();
  return {
    at: performance.now(),
    parts: {
      [group.label]: cpuSeconds(group.pids),
      kafka: servicePids.kafka ? cpuSeconds([servicePids.kafka]) : Number.NaN,
      redis: servicePids.redis ? cpuSeconds([servicePids.redis]) : Number.NaN,
      clickhouse: servicePids.clickhouse ? cpuSeconds([servicePids.clickhouse]) : Number.NaN,
      bench: (self.user + self.system) / 1e6,
    },
    machine: machineCpu(),
  };
}
/** One line: each part's CPU over the window in % of one core, and the machine's busy share of all its cores. */
function cpuLine(from: CpuSnapshot, to: CpuSnapshot): string {
  const seconds = (to.at - from.at) / 1000;
  const parts = Object.keys(to.parts).map((name) => {
    const used = (to.parts[name] as number) - (from.parts[name] as number);
    return { name, used };
  });
  const busy = to.machine.busy - from.machine.busy;
  const known = parts.reduce((n, p) => n + (Number.isNaN(p.used) ? 0 : p.used), 0);
  const pct = (s: number) => `${Math.round((s / seconds) * 100)}%`;
  return `${parts.map((p) => `${p.name} ${Number.isNaN(p.used) ? '?' : pct(p.used)}`).join(', ')}, other processes ${pct(Math.max(0, busy - known))}; machine ${Math.round((busy / (to.machine.total - from.machine.total)) * 100)}% busy of ${availableParallelism()} cores`;
}

/** Batch figures between two scrapes of the workers' /metrics. */
function batchFigures(from: Map<string, number>, to: Map<string, number>, seconds: number) {
  const d = (name: string) => (to.get(name) ?? 0) - (from.get(name) ?? 0);
  const batches = d('ingest_batch_duration_seconds_count');
  const events = processedOf(to) - processedOf(from);
  const buckets = [...to.keys()]
    .filter((k) => k.startsWith('ingest_batch_duration_seconds_bucket{'))
    .map((k) => {
      const le = /le="([^"]+)"/.exec(k)?.[1] ?? '+Inf';
      return { le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), n: d(k) };
    })
    .sort((a, b) => a.le - b.le);
  const upTo = (p: number) => buckets.find((b) => b.n >= (p / 100) * batches)?.le ?? Number.NaN;
  return {
    batches,
    events,
    eventsPerBatch: events / batches,
    meanSeconds: d('ingest_batch_duration_seconds_sum') / batches,
    p50UpTo: upTo(50),
    p99UpTo: upTo(99),
    // Batch-seconds per second: how many batches were in hand on average (at most the concurrency, per worker).
    inFlight: d('ingest_batch_duration_seconds_sum') / seconds,
    roundTripsPerEvent: d('ingest_redis_round_trips_total') / events,
    roundTripsPerBatch: d('ingest_redis_round_trips_total') / batches,
    // Summed over the tables: the counter is labelled by table.
    inserts: sumOf(to, 'ingest_clickhouse_inserts_total') - sumOf(from, 'ingest_clickhouse_inserts_total'),
    insertsPerBatch: (sumOf(to, 'ingest_clickhouse_inserts_total') - sumOf(from, 'ingest_clickhouse_inserts_total')) / batches,
    retries: d('ingest_batch_retries_total'),
  };
}

/** Sum of `events` over the profiles that are not linked elsewhere: each event is counted once there. */
async function portraitCounts(s: Space): Promise<{ terminal: number; profiles: number; leads: number; visitors: number; linked: number }> {
  const out = { terminal: 0, profiles: 0, leads: 0, visitors: 0, linked: 0 };
  const prefix = `${s.ns}:{p:`;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*}:state`, 'COUNT', 2_000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.hgetall(key);
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([err, value], i) => {
      if (err) throw err;
      const state = value as Record<string, string>;
      const id = (keys[i] as string).slice(prefix.length, -'}:state'.length);
      out.profiles++;
      if (state[STATE_FIELDS.linkedTo]) out.linked++;
      else {
        out.terminal += eventCountOf(state);
        if (id.startsWith('a:')) out.visitors++;
        else out.leads++;
      }
    });
  } while (cursor !== '0');
  return out;
}

async function clickhouseCount(s: Space): Promise<number> {
  const result = await clickhouse.query({ query: sql`SELECT count() AS n FROM ${s.database}.events FINAL`, format: 'JSONEachRow' });
  const rows = (await result.json()) as { n: string | number }[];
  return Number(rows[0]?.n ?? 0);
}

/** Server-wide counters of ClickHouse (every client's work, not only the worker's): what its CPU went to. */
const CLICKHOUSE_EVENTS = ['InsertQuery', 'InsertedRows', 'MergedRows', 'MergesTimeMilliseconds', 'FileOpen'] as const;
async function clickhouseEvents(): Promise<Record<string, number>> {
  const result = await clickhouse.query({ query: sql`SELECT event, value FROM system.events WHERE has(${[...CLICKHOUSE_EVENTS]}, event)`, format: 'JSONEachRow' });
  const rows = (await result.json()) as { event: string; value: string | number }[];
  return Object.fromEntries(CLICKHOUSE_EVENTS.map((e) => [e, Number(rows.find((r) => r.event === e)?.value ?? 0)]));
}
function clickhouseLine(from: Record<string, number>, to: Record<string, number>, ourInserts: number, whose: string): string {
  const d = (e: (typeof CLICKHOUSE_EVENTS)[number]) => (to[e] ?? 0) - (from[e] ?? 0);
  return `${d('InsertQuery')} inserts on the server (${ourInserts} from the ${whose}), ${d('InsertedRows')} rows inserted, ${d('MergedRows')} rows merged (${d('MergesTimeMilliseconds')} ms of merges), ${d('FileOpen')} files opened`;
}

// --- the run ----------------------------------------------------------------------------------------------------------

/** The ingest workers of one worker count, sharing one namespace and so one consumer group. */
interface Workers {
  readonly count: number;
  readonly processes: readonly RunningProcess[];
  readonly metricsUrls: readonly string[];
  /** Every process of every worker's tree: tsx runs the entry point in a child process of its own. */
  readonly pids: readonly number[];
  /** `worker`, or `2 workers`: names their CPU in the figures. */
  readonly label: string;
}

let running: RunningProcess[] = [];
let producer: Producer | undefined;
const spaces: Space[] = [];
const removals = new Map<string, Promise<void>>();
let cleaned: Promise<void> | undefined;

/** A cleanup step: reported, never thrown, so the steps after it still run. */
async function step(what: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    progress(`  cleanup: ${what} failed: ${(err as Error).message}`);
  }
}

async function stopWorkers(): Promise<void> {
  const stopping = running;
  running = [];
  await Promise.all(stopping.map((w) => step('stopping a worker', () => w.stop())));
}

/** Deletes keys by pattern in slices, so no single UNLINK blocks Redis for long. */
async function unlinkMatching(pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
    cursor = next;
    for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
  } while (cursor !== '0');
}

/** Everything a namespace made: topics, groups, Redis keys (BullMQ's included), ClickHouse database; once each. */
function removeSpace(s: Space): Promise<void> {
  let removal = removals.get(s.ns);
  removal ??= (async () => {
    const lean = leanRuns.get(s.ns);
    // Before the topic goes: the lean's groups are found by their offsets of it.
    if (lean) await step(`the lean baseline's leftovers on ${s.ns}`, () => removeLeanLeftovers(s, lean));
    await step(`topics and groups of ${s.ns}`, async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.deleteTopics({ topics: [s.topics.events, s.topics.eventsDeadLetter] }).catch(() => {});
        await admin.deleteGroups([`${s.ns}.ingest`, `${s.ns}.baseline`]).catch(() => {});
      } finally {
        await admin.disconnect();
      }
    });
    await step(`Redis keys of ${s.ns}`, async () => {
      await unlinkMatching(`${s.ns}:*`);
      // The hot-lead queue the worker's alert outbox fills lives under BullMQ's prefix, `{<namespace>.alerts}`.
      await unlinkMatching(`{${s.ns}.alerts}:*`);
    });
    await step(`ClickHouse database ${s.ns}`, async () => clickhouse.command({ query: sql`DROP DATABASE IF EXISTS ${s.database}` }));
  })();
  removals.set(s.ns, removal);
  return removal;
}

/** Leaves nothing behind: workers, producer, every namespace's topics, keys and database; safe to call twice. */
function cleanup(): Promise<void> {
  cleaned ??= (async () => {
    progress('cleaning up: workers, topics, Redis keys, ClickHouse databases');
    await stopWorkers();
    await step('the lean baseline', async () => {
      const child = leanChild;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    });
    await step('producer', async () => producer?.disconnect());
    for (const s of spaces) await removeSpace(s);
    await step('clients', async () => {
      redis.disconnect();
      await clickhouse.close();
    });
  })();
  return cleaned;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** The workers' figures at one moment of the drain or of a pace. */
interface Snapshot {
  readonly at: number;
  readonly metrics: Map<string, number>;
  readonly cpu: CpuSnapshot;
  readonly clickhouse: Record<string, number>;
}

async function snapshot(group: Workers, at = performance.now()): Promise<Snapshot> {
  const metrics = await scrapeAll(group.metricsUrls);
  return { at, metrics, cpu: cpuSnapshot(group), clickhouse: await clickhouseEvents() };
}

/** The backlog of the mix, made once and produced into every worker count's topic, so each drains the same events. */
function makeBacklog(): { records: Message[]; kinds: Map<string, number>; meanBytes: number } {
  progress(`making ${total} events (${LEADS} leads, ${ANONYMOUS_VISITORS} anonymous visitors, ${COMPANIES} companies, ${HISTORY_DAYS} days)`);
  const now = Date.now();
  const receivedAt = new Date(now);
  const make = eventMaker(`${runId}-e`, 42);
  const kinds = new Map<string, number>();
  const records: Message[] = [];
  for (let i = 0; i < total; i++) {
    const raw = make(now);
    const kind = raw.type === 'track' ? String(raw.event) : String(raw.type);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    records.push(record(raw, receivedAt));
  }
  const meanBytes = records.reduce((n, r) => n + (r.value as Buffer).length, 0) / total;
  return { records, kinds, meanBytes };
}

/** Distinct free ports: freePort could hand out a port twice, having let go of it. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Starts `count` ingest workers on the namespace at once, each with a /metrics port of its own, all joining its group. */
async function startWorkers(s: Space, count: number): Promise<Workers> {
  const ports = await freePorts(count);
  progress(count === 1 ? `starting the ingest worker (port ${ports[0]} for /metrics)` : `starting ${count} ingest workers (ports ${ports.join(', ')} for /metrics)`);
  const start = (port: number) =>
    startProcess(
      'services/ingest/src/main.ts',
      {
        NAMESPACE: s.ns,
        KAFKA_BROKERS: config.kafka.brokers.join(','),
        REDIS_URL: config.redis.url,
        CLICKHOUSE_URL: config.clickhouse.url,
        CLICKHOUSE_DATABASE: '',
        KAFKA_EVENTS_PARTITIONS: String(partitions),
        INGEST_PARTITIONS_CONCURRENTLY: String(concurrency),
        INGEST_METRICS_PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      `http://127.0.0.1:${port}/healthz`,
      { nodeArgs: [...INGEST_NODE_ARGS, ...(args['profile-worker'] ? ['--cpu-prof', `--cpu-prof-dir=${args['profile-worker']}`] : [])] },
    ).then((worker) => {
      running.push(worker);
      // Interrupted while it started: cleanup has already stopped the others.
      if (cleaned) void worker.stop();
      return worker;
    });
  const started = await Promise.allSettled(ports.map(start));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const processes = started.map((r) => (r as PromiseFulfilledResult<RunningProcess>).value);
  return {
    count,
    processes,
    metricsUrls: ports.map((port) => `http://127.0.0.1:${port}/metrics`),
    pids: processes.flatMap((p) => processTree(p.child.pid as number)),
    label: count === 1 ? 'worker' : `${count} workers`,
  };
}

/** Commits the workers' group at the end of the topic, so that they skip the baseline's copy of the backlog. */
async function skipToEnd(s: Space): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(s.topics.events);
    await admin.setOffsets({ groupId: `${s.ns}.ingest`, topic: s.topics.events, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })) });
  } finally {
    await admin.disconnect();
  }
}

async function endOffsetSum(s: Space): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(s.topics.events)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

function exitedWorker(group: Workers): Error | undefined {
  const exited = group.processes.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
  return exited && new Error(`a worker exited with ${exited.child.exitCode ?? exited.child.signalCode}:\n${exited.output().slice(-4_000)}`);
}

/**
 * Waits until every worker is in the group with its partitions assigned. The backlog goes out only then: a worker
 * joining while the others drain it would stop them all for a rebalance, and that is start-up, not throughput.
 */
async function untilGroupComplete(s: Space, group: Workers): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const started = performance.now();
  try {
    while (!(await groupComplete(admin, `${s.ns}.ingest`, group.count))) {
      const exited = exitedWorker(group);
      if (exited) throw exited;
      if (performance.now() - started > 60_000) throw new Error(`the ${group.count} workers were not all in the group ${s.ns}.ingest within 60 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    progress(`  ${group.count === 1 ? 'the worker is' : `all ${group.count} workers are`} in the group after ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Polls the group's committed offsets every 100 ms (the workers' /metrics every 2 s, for progress) until the group
 * has committed up to `endOffsets`. The clock starts at the first poll, made once the whole backlog is in the topic;
 * the events the workers processed while it was produced are left out of the rate.
 */
async function drain(s: Space, group: Workers, endOffsets: number): Promise<{ first: Snapshot & { processed: number }; end: Snapshot }> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `${s.ns}.ingest`;
  const output = () => group.processes.map((p) => p.output().slice(-4_000)).join('\n---\n');
  try {
    let first: (Snapshot & { processed: number }) | undefined;
    let lastChange = { at: performance.now(), processed: -1 };
    let lastReport = 0;
    let processed = 0;
    for (;;) {
      const before = performance.now();
      // The clock is the group's committed offsets (read from Kafka, every 100 ms); the workers' /metrics are scraped
      // only for the first poll and the progress line, since rendering them costs the worker a few % of its CPU at
      // ten scrapes a second.
      const scrape = !first || before - lastReport > 2_000;
      const metrics = scrape ? await scrapeAll(group.metricsUrls) : undefined;
      const at = (before + performance.now()) / 2;
      if (metrics) processed = processedOf(metrics);
      if (!first && metrics) {
        first = { at, processed, metrics, cpu: cpuSnapshot(group), clickhouse: await clickhouseEvents() };
        lastReport = at;
      }
      const asked = performance.now();
      const committed = await committedSum(admin, groupId, s.topics.events);
      if (committed >= endOffsets && first) {
        if (first.processed > total / 2) progress(`  warning: ${first.processed} of ${total} events were done while the backlog was produced; use more --events for a meaningful rate`);
        return { first, end: await snapshot(group, (asked + performance.now()) / 2) };
      }
      if (processed !== lastChange.processed) lastChange = { at, processed };
      else if (at - lastChange.at > 60_000) throw new Error(`the workers made no progress for 60 s at ${processed}/${total} processed, ${committed}/${endOffsets} committed:\n${output()}`);
      const exited = exitedWorker(group);
      if (exited) throw exited;
      if (first && scrape && at - lastReport > 2_000) {
        lastReport = at;
        progress(`  processed ${processed}/${total}, committed ${committed}/${endOffsets}, ${fmt((processed - first.processed) / ((at - first.at) / 1000))} events/s so far`);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - before))));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Every produced event applied once, counted once in the portraits, one row in ClickHouse; throws otherwise. */
async function checkCorrect(s: Space, metrics: Map<string, number>): Promise<string> {
  const applied = metrics.get('ingest_events_processed_total{outcome="applied"}') ?? 0;
  const duplicates = metrics.get('ingest_events_processed_total{outcome="duplicate"}') ?? 0;
  const deadLettered = sumOf(metrics, 'ingest_events_dead_lettered_total');
  const conflicts = [...metrics]
    .filter(([series]) => series.startsWith('ingest_identity_conflicts_total{'))
    .map(([series, n]) => `${/kind="([^"]+)"/.exec(series)?.[1] ?? '?'} ${n}`);
  const portraits = await portraitCounts(s);
  const rows = await clickhouseCount(s);
  const problems = [
    applied !== total && `the workers applied ${applied} events (and ${duplicates} duplicates, ${deadLettered} dead letters), expected ${total}`,
    portraits.terminal !== total && `the portraits count ${portraits.terminal} events, expected ${total}`,
    rows !== total && `ClickHouse holds ${rows} event rows (FINAL), expected ${total}`,
  ].filter((p): p is string => typeof p === 'string');
  if (problems.length > 0) throw new Error(`INCORRECT RESULT (${s.ns}):\n  ${problems.join('\n  ')}`);
  return (
    `${applied} applied, ${duplicates} duplicates, ${deadLettered} dead letters, ${sumOf(metrics, 'ingest_identity_conflicts_total')} identity conflicts` +
    `${conflicts.length > 0 ? ` (${conflicts.join(', ')})` : ''}; portraits count ${portraits.terminal} events over ${portraits.leads} leads and ` +
    `${portraits.visitors} unlinked visitors (${portraits.linked} profiles linked into others); ClickHouse ${rows} rows (FINAL)`
  );
}

/** The backlog (and each pace) leaves ClickHouse merging its parts for a while; a pace started meanwhile would measure that. */
async function settleClickHouse(s: Space): Promise<void> {
  const started = performance.now();
  for (;;) {
    const result = await clickhouse.query({ query: sql`SELECT count() AS n FROM system.merges WHERE database = ${s.ns}`, format: 'JSONEachRow' });
    const rows = (await result.json()) as { n: string | number }[];
    if (Number(rows[0]?.n ?? 0) === 0 || performance.now() - started > 15_000) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = (performance.now() - started) / 1000;
  if (seconds > 0.5) progress(`  waited ${seconds.toFixed(1)} s for ClickHouse to finish merging the backlog's parts`);
}

/**
 * Merges each of the namespace's tables to one part per partition (OPTIMIZE … FINAL), as ClickHouse would have in the
 * hours after a backfill. Otherwise the first pace pays for merging the backlog's parts among themselves — whole
 * month partitions of 100,000 rows against a few hundred inserted, hundreds of times the rows the pace brought —
 * which says nothing about the worker's inserts.
 */
async function mergeBacklog(s: Space): Promise<void> {
  const started = performance.now();
  const result = await clickhouse.query({ query: sql`SELECT name FROM system.tables WHERE database = ${s.ns} AND engine LIKE '%MergeTree%'`, format: 'JSONEachRow' });
  const tables = ((await result.json()) as { name: string }[]).map((t) => t.name);
  for (const table of tables) await clickhouse.command({ query: sql`OPTIMIZE TABLE ${s.database}.${quoteIdentifier(table)} FINAL` });
  progress(`paced: the backlog merged to one part per partition in ${tables.length} tables (OPTIMIZE FINAL) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

// --- the paced live phase ---------------------------------------------------------------------------------------------

/**
 * Of each pace's events, this share are probes, at most this many a second: enough for a p99 at every pace while the
 * mix stays most of the traffic.
 */
const PROBE_SHARE = 0.2;
const PROBES_MAX_PER_S = 100;
/** And this share are alert triggers, at most this many a second: each one is a new hot lead and two hot-lead jobs. */
const TRIGGER_SHARE = 0.1;
const TRIGGERS_MAX_PER_S = 15;
/**
 * The hot-lead jobs a trigger makes (packages/scoring's default rules), by the windows their ids are made of: the
 * `demo-request` form rule fires at once (unless the source's hourly budget of form alerts is spent, as the backlog's
 * fresh forms and the mix's spend it), and the request's heat (40 + 10 for any form) makes the new lead hot, which
 * fires `became-hot`. Both are added in one call; the first to exist is the alert enqueued.
 */
const TRIGGER_JOBS = [
  { rule: 'demo-request', window: (messageId: string) => `form-${messageId}` },
  { rule: 'became-hot', window: (messageId: string) => `crossed-${messageId}` },
] as const;
/**
 * After a pace, ClickHouse merges the parts it made: the merge amplification waits this long, and then until no merge
 * of the namespace runs, before it reads the counters, so a pace's merges are not counted in the next one's.
 */
const SETTLE_MS = 3_000;

/** One event watched until it shows: a probe's portrait field, or any of a trigger's jobs. */
interface Watched {
  readonly kind: 'probe' | 'alert';
  /** A probe's state key; a trigger's job keys, in TRIGGER_JOBS's order. */
  readonly keys: readonly string[];
  ackedAt?: number;
  seenAt?: number;
  /** For a trigger, which of its jobs was seen first. */
  seenBy?: number;
}

interface PaceTraffic {
  readonly seconds: number;
  readonly sent: { readonly probes: number; readonly triggers: number; readonly mix: number };
  /** Milliseconds from Kafka acknowledging the event to its portrait updated, and to its alert enqueued. */
  readonly portrait: number[];
  readonly alert: number[];
  /** Triggers by the job seen first, in TRIGGER_JOBS's order. */
  readonly alertBy: number[];
}

/**
 * One pace: the mix with current timestamps at `pace` events/s for `forSeconds`, probes and triggers among them,
 * produced every ~5 ms as they fall due; then waits until every probe and trigger has shown.
 */
async function produceAtPace(s: Space, pace: number, forSeconds: number, label: string): Promise<PaceTraffic> {
  const out = producer as Producer;
  const probeRate = Math.min(pace * PROBE_SHARE, PROBES_MAX_PER_S);
  const triggerRate = Math.min(pace * TRIGGER_SHARE, TRIGGERS_MAX_PER_S);
  const mixRate = pace - probeRate - triggerRate;
  const mix = eventMaker(`${s.ns}-live${label}`, pace, 0);
  const queueKey = `${alertsQueuePrefix(s.ns)}:${ALERTS_QUEUE}`;
  const watched: Watched[] = [];
  const outstanding = new Set<Watched>();
  let probes = 0;
  let triggers = 0;
  let mixed = 0;
  const sends: Promise<unknown>[] = [];
  // Failures are awaited below; handled now so that one before then does not end the process without cleaning up.
  const settled = <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => {});
    return p;
  };
  const started = performance.now();
  const producingMs = forSeconds * 1000;
  let producing = true;
  // A pace faster than the worker leaves it a backlog to catch up on: only 30 s without any probe or trigger showing fails.
  let progressAt = performance.now();
  const watcher = settled(
    (async () => {
      while (producing || outstanding.size > 0) {
        const now = [...outstanding];
        if (now.length > 0) {
          const pipeline = redis.pipeline();
          for (const w of now) {
            if (w.kind === 'probe') pipeline.hget(w.keys[0] as string, STATE_FIELDS.lastSeen);
            else for (const key of w.keys) pipeline.exists(key);
          }
          const replies = (await pipeline.exec()) ?? [];
          const at = performance.now();
          let r = 0;
          for (const w of now) {
            const mine = replies.slice(r, r + (w.kind === 'probe' ? 1 : w.keys.length));
            r += mine.length;
            for (const [err] of mine) if (err) throw err;
            const seen = w.kind === 'probe' ? (mine[0]?.[1] ?? null) !== null ? 0 : -1 : mine.findIndex(([, n]) => Number(n) > 0);
            if (seen < 0) continue;
            w.seenAt = at;
            w.seenBy = seen;
            outstanding.delete(w);
            progressAt = at;
          }
          if (!producing && at - Math.max(progressAt, started + producingMs) > 30_000) {
            const alerts = [...outstanding].filter((w) => w.kind === 'alert').length;
            throw new Error(`${outstanding.size - alerts} probes still not in their portraits and ${alerts} triggers without a job (${TRIGGER_JOBS.map((j) => j.rule).join(' or ')}) in the queue, none showing for 30 s`);
          }
        }
        // Every ~5 ms: finer polling would take CPU from the pipeline being measured, on a machine of 2 cores.
        await new Promise((r) => setTimeout(r, 5));
      }
    })(),
  );
  for (;;) {
    const elapsedMs = Math.min(performance.now() - started, producingMs);
    const due = (rate: number) => Math.floor((elapsedMs / 1000) * rate);
    const at = new Date();
    const messages: Message[] = [];
    const batch: Watched[] = [];
    for (; mixed < due(mixRate); mixed++) messages.push(record(mix(at.getTime()), at));
    for (; probes < due(probeRate); probes++) {
      const user = `probe-${label}-${probes}`;
      const raw = { type: 'page', userId: user, messageId: `${s.ns}-probe-${label}-${probes}`, timestamp: at.toISOString(), name: 'Pricing', properties: { path: '/pricing' }, context: { userAgent: USER_AGENTS[0] } };
      messages.push(record(raw, at));
      batch.push({ kind: 'probe', keys: [profileKeys(s.ns, `u:${user}`).state] });
    }
    for (; triggers < due(triggerRate); triggers++) {
      // A brand-new lead asking for a demo from a company address, as the mix's forms do.
      const user = `trigger-${label}-${triggers}`;
      const messageId = `${s.ns}-trigger-${label}-${triggers}`;
      const raw = {
        type: 'track',
        event: 'Form Submitted',
        userId: user,
        messageId,
        timestamp: at.toISOString(),
        properties: { form_id: 'demo-request', email: `${user}@company-${triggers % COMPANIES}.example`, name: user, company: `Company ${triggers % COMPANIES}` },
        context: { userAgent: USER_AGENTS[0], page: { path: '/demo', url: 'https://www.acme.example/demo', title: 'Book a demo' } },
      };
      messages.push(record(raw, at));
      batch.push({ kind: 'alert', keys: TRIGGER_JOBS.map((j) => `${queueKey}:${alertJobId(`u:${user}`, j.rule, j.window(messageId))}`) });
    }
    if (messages.length > 0) {
      for (const w of batch) {
        watched.push(w);
        outstanding.add(w);
      }
      const acked = out.send({ topic: s.topics.events, acks: -1, messages }).then(() => {
        const ackedAt = performance.now();
        for (const w of batch) w.ackedAt = ackedAt;
      });
      sends.push(settled(acked));
    }
    if (elapsedMs >= producingMs) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const seconds = (performance.now() - started) / 1000;
  producing = false;
  await Promise.all(sends);
  await watcher;
  const fromAck = (kind: Watched['kind']) => watched.filter((w) => w.kind === kind).map((w) => (w.seenAt as number) - (w.ackedAt as number));
  const alertBy = TRIGGER_JOBS.map((_, i) => watched.filter((w) => w.kind === 'alert' && w.seenBy === i).length);
  return { seconds, sent: { probes, triggers, mix: mixed }, portrait: fromAck('probe'), alert: fromAck('alert'), alertBy };
}

/** Per table of the namespace's database, its highest block number so far: the parts made after get higher ones. */
async function blockMarks(s: Space): Promise<Map<string, number>> {
  const result = await clickhouse.query({ query: sql`SELECT table, max(max_block_number) AS b FROM system.parts WHERE database = ${s.ns} GROUP BY table`, format: 'JSONEachRow' });
  const rows = (await result.json()) as { table: string; b: string | number }[];
  return new Map(rows.map((r) => [r.table, Number(r.b)]));
}

/**
 * Rows of the parts the namespace's tables made since `marks`, active or not (ClickHouse keeps merged-away parts for
 * minutes): by inserts (level 0) and by merges (a merge's part holds the rows it merged, less those it replaced).
 */
async function partRowsSince(s: Space, marks: Map<string, number>): Promise<{ inserted: number; merged: number; tables: Map<string, { inserted: number; merged: number }> }> {
  const result = await clickhouse.query({ query: sql`SELECT table, level, max_block_number AS b, rows FROM system.parts WHERE database = ${s.ns}`, format: 'JSONEachRow' });
  const rows = (await result.json()) as { table: string; level: string | number; b: string | number; rows: string | number }[];
  const out = { inserted: 0, merged: 0, tables: new Map<string, { inserted: number; merged: number }>() };
  for (const r of rows) {
    if (Number(r.b) <= (marks.get(r.table) ?? -1)) continue;
    const table = out.tables.get(r.table) ?? { inserted: 0, merged: 0 };
    out.tables.set(r.table, table);
    const field = Number(r.level) === 0 ? 'inserted' : 'merged';
    table[field] += Number(r.rows);
    out[field] += Number(r.rows);
  }
  return out;
}

/** Inserts per table between two scrapes, per worker: `ingest_clickhouse_inserts_total{table="<db>.<table>"}`. */
function insertsByTable(from: Map<string, number>, to: Map<string, number>, seconds: number, workers: number): { table: string; perSecond: number; rowsPerInsert: number }[] {
  const tables = new Set([...to.keys()].map((k) => /^ingest_clickhouse_inserts_total\{table="([^"]+)"\}$/.exec(k)?.[1]).filter((t): t is string => t !== undefined));
  const d = (series: string) => (to.get(series) ?? 0) - (from.get(series) ?? 0);
  return [...tables]
    .map((table) => {
      const inserts = d(`ingest_clickhouse_inserts_total{table="${table}"}`);
      return { table, perSecond: inserts / seconds / workers, rowsPerInsert: d(`ingest_clickhouse_rows_total{table="${table}"}`) / inserts };
    })
    .filter((t) => t.perSecond > 0)
    .sort((a, b) => b.perSecond - a.perSecond);
}

/** One pace's figures: its traffic, the workers' inserts and batches, what ClickHouse merged, the CPU. */
interface PaceResult {
  readonly pace: number;
  readonly traffic: PaceTraffic;
  readonly start: Snapshot;
  readonly end: Snapshot;
  readonly live: ReturnType<typeof batchFigures>;
  readonly tables: ReturnType<typeof insertsByTable>;
  /** The worst table's inserts per second per worker (0 when none were made). */
  readonly insertsPerSecond: number;
  /**
   * Rows merged ÷ rows inserted over the pace and its settling: the namespace's own parts (system.parts; part_log is
   * off on this server), in all and by table. The headline: system.events's figures count other databases' work
   * too, and count the materialized view's merges (events_by_profile) in MergedRows but not its rows in InsertedRows.
   */
  readonly merges: { readonly inserted: number; readonly merged: number; readonly amplification: number; readonly tables: Map<string, { inserted: number; merged: number }>; readonly seconds: number; readonly settleSeconds: number };
  /** The same from system.events, server-wide, shown beside it. */
  readonly serverWide: { readonly inserted: number; readonly merged: number; readonly amplification: number };
}

/**
 * Seconds of the first pace before the measured ones, untimed. The backlog's parts are merged only once an insert
 * wakes ClickHouse's merges of its tables (it sleeps on tables with nothing to do), so without it the first pace would
 * be charged with merging the backlog.
 */
const WARM_UP_SECONDS = 3;

/** The paces one after the other, on workers caught up and ClickHouse settled. */
async function runPaces(s: Space, group: Workers): Promise<PaceResult[]> {
  const results: PaceResult[] = [];
  await mergeBacklog(s);
  progress(`paced: warm-up, ${WARM_UP_SECONDS} s at ${paces[0]} events/s, untimed: ClickHouse merges what the backlog left`);
  await produceAtPace(s, paces[0] as number, WARM_UP_SECONDS, 'warmup');
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  await settleClickHouse(s);
  for (const pace of paces) {
    const probeRate = Math.min(pace * PROBE_SHARE, PROBES_MAX_PER_S);
    const triggerRate = Math.min(pace * TRIGGER_SHARE, TRIGGERS_MAX_PER_S);
    progress(`paced: ${pace} events/s for ${pacedSeconds} s (${fmt(probeRate)} probes/s and ${fmt(triggerRate)} alert triggers/s among them, the rest the mix with current timestamps)`);
    const marks = await blockMarks(s);
    const start = await snapshot(group);
    const traffic = await produceAtPace(s, pace, pacedSeconds, String(pace));
    const end = await snapshot(group);
    const settleStarted = performance.now();
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    await settleClickHouse(s);
    const settled = await clickhouseEvents();
    const own = await partRowsSince(s, marks);
    const seconds = (end.at - start.at) / 1000;
    const tables = insertsByTable(start.metrics, end.metrics, seconds, group.count);
    const inserted = (settled.InsertedRows ?? 0) - (start.clickhouse.InsertedRows ?? 0);
    const merged = (settled.MergedRows ?? 0) - (start.clickhouse.MergedRows ?? 0);
    results.push({
      pace,
      traffic,
      start,
      end,
      live: batchFigures(start.metrics, end.metrics, seconds),
      tables,
      insertsPerSecond: tables[0]?.perSecond ?? 0,
      merges: { ...own, amplification: own.merged / own.inserted, seconds: (performance.now() - start.at) / 1000, settleSeconds: (performance.now() - settleStarted) / 1000 },
      serverWide: { inserted, merged, amplification: merged / inserted },
    });
  }
  return results;
}

// --- the lean baseline ------------------------------------------------------------------------------------------------

/** The lean's consumer groups are `lean_<6 hex>.bare` and `.lean`; it leaves them behind when it ends. */
const LEAN_GROUP = /^(lean_[0-9a-f]{6})\.(bare|lean)$/;
/** The lean's process while it runs: the cleanup stops it. */
let leanChild: ChildProcess | undefined;
/** Per namespace the lean ran on: the lean groups there were before (its own are the new ones), and whether it ended well. */
const leanRuns = new Map<string, { before: Set<string>; finished: boolean }>();

async function leanGroups(admin: Admin): Promise<Set<string>> {
  const { groups } = await admin.listGroups();
  return new Set(groups.map((g) => g.groupId).filter((id) => LEAN_GROUP.test(id)));
}

interface LeanResult {
  readonly records: number;
  readonly perSecond: number;
  readonly barePerSecond: number;
  readonly overBare: number;
  readonly usPerEvent: number;
}

/**
 * The lean baseline on the namespace's topic as it is (both copies of the backlog and the paced events), with no
 * worker running: `node <lean-script> --topic <topic>` from the project root, its progress passed on, its last line
 * read.
 */
async function runLean(s: Space): Promise<LeanResult> {
  const script = leanScript as string;
  const admin = kafka.admin();
  await admin.connect();
  let records: number;
  try {
    leanRuns.set(s.ns, { before: await leanGroups(admin), finished: false });
    records = (await admin.fetchTopicOffsets(s.topics.events)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
  progress(`lean baseline: node ${relative(ROOT, script)} --topic ${s.topics.events} (${records} records: both copies of the backlog and the paced events), no worker running`);
  const child = spawn(process.execPath, [script, '--topic', s.topics.events], {
    cwd: ROOT,
    env: { ...process.env, KAFKA_BROKERS: config.kafka.brokers.join(','), REDIS_URL: config.redis.url, CLICKHOUSE_URL: config.clickhouse.url },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches this script, whose cleanup stops it and removes what it made.
    detached: true,
  });
  leanChild = child;
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
    for (const line of d.toString().split('\n')) if (line.trim() !== '') progress(`  ${line.trim()}`);
  });
  const LEAN_TIMEOUT_MS = 300_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const code = await new Promise<number | string>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c, signal) => resolve(c ?? signal ?? '?'));
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the lean baseline did not end within ${LEAN_TIMEOUT_MS / 1000} s`));
      }, LEAN_TIMEOUT_MS);
    });
    if (code !== 0) throw new Error(`the lean baseline exited with ${code}:\n${stderr.slice(-4_000)}`);
  } finally {
    clearTimeout(timer);
    leanChild = undefined;
  }
  const last = stdout.trim().split('\n').at(-1) ?? '';
  const field = (key: string) => Number(new RegExp(`(?:^|\\s)${key}=(\\S+)`).exec(last)?.[1]);
  const result = { records, perSecond: field('lean_events_per_s'), barePerSecond: field('bare_events_per_s'), overBare: field('lean_over_bare'), usPerEvent: field('lean_us_per_event') };
  if (!(result.perSecond > 0)) throw new Error(`the lean baseline printed no lean_events_per_s=… line:\n${stdout.slice(-2_000)}`);
  (leanRuns.get(s.ns) as { finished: boolean }).finished = true;
  return result;
}

/**
 * What the lean made on the namespace's topic and left: its consumer groups always (found as the new lean groups
 * holding offsets of this topic, so another run's are never touched), its Redis keys and ClickHouse database when it
 * was stopped before its own cleanup.
 */
async function removeLeanLeftovers(s: Space, run: { before: Set<string>; finished: boolean }): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ours: string[] = [];
    for (const groupId of await leanGroups(admin)) {
      if (run.before.has(groupId)) continue;
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [s.topics.events] });
      if ((offsets?.partitions ?? []).some((p) => Number(p.offset) >= 0)) ours.push(groupId);
    }
    if (!run.finished) {
      for (const ns of new Set(ours.map((g) => (LEAN_GROUP.exec(g) as RegExpExecArray)[1] as string))) {
        await clickhouse.command({ query: sql`DROP DATABASE IF EXISTS ${quoteIdentifier(ns)}` });
        await unlinkMatching(`${ns}:*`);
      }
    }
    // One at a time: a stopped lean's member stays in its group until its session times out (kafkajs: 30 s), and
    // until then Kafka refuses to delete that group, not the others. Waited for, since nothing else would delete it.
    const deadline = performance.now() + 45_000;
    for (const groupId of ours) {
      for (let waited = false; ; waited = true) {
        const error = await admin.deleteGroups([groupId]).then(
          () => undefined,
          (err: Error) => err,
        );
        if (!error) break;
        if (performance.now() > deadline) throw new Error(`group ${groupId}: ${error.message}`);
        if (!waited) progress(`  waiting for the stopped lean's member to leave its group ${groupId} (its session times out within 30 s)`);
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** One worker count's drain of the backlog, checked. */
interface CountResult {
  readonly workers: number;
  /** The baseline's copy of the backlog, produced with nothing else running. */
  readonly producedPerSecond?: number;
  readonly eventsPerSecond: number;
  readonly drainSeconds: number;
  readonly first: Snapshot & { processed: number };
  readonly end: Snapshot;
  readonly drained: ReturnType<typeof batchFigures>;
  readonly correct: string;
  readonly baseline?: { perSecond: number; seconds: number };
  readonly paces?: PaceResult[];
  readonly lean?: LeanResult;
}

/**
 * One worker count, start to end in a namespace of its own: the backlog produced into a fresh topic, the bare
 * consumer (when asked) before any worker runs, the workers draining it, the result checked, the paces (when asked);
 * then the workers stopped, the lean baseline (when asked) on the topic as it is then, and the namespace removed, so
 * the next count starts from the same empty state.
 */
async function benchWorkers(count: number, records: readonly Message[], options: { baseline: boolean; paced: boolean; lean: boolean }): Promise<CountResult> {
  const s = space(count);
  spaces.push(s);
  progress(`--- ${count} worker${count === 1 ? '' : 's'}: namespace ${s.ns}`);
  await ensureTopics(kafka, [
    { topic: s.topics.events, numPartitions: partitions, replicationFactor: 1 },
    { topic: s.topics.eventsDeadLetter, numPartitions: 1, replicationFactor: 1 },
  ]);
  // A producer per namespace: kafkajs keeps refreshing the metadata of every topic a producer has sent to, and fails
  // on one that the previous count's removal deleted.
  producer = bareProducer();
  await producer.connect();

  // The baseline on a copy of its own, before any worker runs: nothing else reads, no idle worker takes CPU from it.
  let baseline: CountResult['baseline'];
  let producedPerSecond: number | undefined;
  if (options.baseline) {
    progress(`producing ${total} records to ${s.topics.events} (${partitions} partitions) for the baseline`);
    producedPerSecond = await produceBacklog(producer, s.topics.events, records);
    progress(`baseline: a bare kafkajs consumer (${concurrency} partitions at once) reading the topic to the end`);
    baseline = await bareConsumer(s, total);
    await skipToEnd(s);
  }

  const group = await startWorkers(s, count);
  await untilGroupComplete(s, group);
  progress(`producing the ${total} records ${options.baseline ? 'again ' : ''}to ${s.topics.events} (${partitions} partitions), for the ${group.label} in the group`);
  await produceBacklog(producer, s.topics.events, records);
  const { first, end } = await drain(s, group, await endOffsetSum(s));
  const drainSeconds = (end.at - first.at) / 1000;
  progress('checking Redis portraits and ClickHouse rows');
  const correct = await checkCorrect(s, end.metrics);

  let paced: PaceResult[] | undefined;
  if (options.paced) {
    await settleClickHouse(s);
    paced = await runPaces(s, group);
  }

  await stopWorkers();
  // Only now: the lean would share the 2 cores with a worker, and its consumers would read beside the worker's.
  const lean = options.lean ? await runLean(s) : undefined;
  await producer.disconnect();
  producer = undefined;
  progress(`removing namespace ${s.ns}`);
  await removeSpace(s);
  return {
    workers: count,
    ...(producedPerSecond === undefined ? {} : { producedPerSecond }),
    eventsPerSecond: (total - first.processed) / drainSeconds,
    drainSeconds,
    first,
    end,
    drained: batchFigures(first.metrics, end.metrics, drainSeconds),
    correct,
    ...(baseline ? { baseline } : {}),
    ...(paced ? { paces: paced } : {}),
    ...(lean ? { lean } : {}),
  };
}

const plural = (n: number) => (n === 1 ? 'worker' : 'workers');

/** One worker count's drain: the existing `ingest worker:` block for 1 worker, `ingest, N workers:` for more. */
function drainLines(r: CountResult): string[] {
  const d = r.drained;
  const heading = r.workers === 1 ? 'ingest worker' : `ingest, ${r.workers} workers`;
  return [
    `${heading}: ${fmt(r.eventsPerSecond)} events/s — (${total} − ${r.first.processed} processed while the backlog was produced, after the ${plural(r.workers)} joined the group) ÷ ${r.drainSeconds.toFixed(2)} s from then until the group's committed offsets reached the end of the topic; polled every 100 ms`,
    `  batches: ${d.batches} (${fmt(d.eventsPerBatch)} events each), ${(d.meanSeconds * 1000).toFixed(0)} ms mean from hand-over to commit (p50 ≤ ${d.p50UpTo} s, p99 ≤ ${d.p99UpTo} s), ${d.inFlight.toFixed(2)} batches in hand on average, ${d.retries} retries`,
    `  Redis round trips: ${d.roundTripsPerEvent.toFixed(4)} per event (${d.roundTripsPerBatch.toFixed(2)} per batch); ClickHouse inserts: ${d.insertsPerBatch.toFixed(2)} per batch`,
    `  CPU while draining (% of one core): ${cpuLine(r.first.cpu, r.end.cpu)}`,
    `  ClickHouse while draining: ${clickhouseLine(r.first.clickhouse, r.end.clickhouse, d.inserts, plural(r.workers))}`,
    `  correct: ${r.correct}`,
  ];
}

/** 1 worker against each larger count, as measured: on 2 cores shared with the services, contention shows as much as scaling. */
function scaleOutLine(results: readonly CountResult[]): string {
  const [base, ...more] = results as [CountResult, ...CountResult[]];
  const rates = results.map((r) => `${r.workers} ${plural(r.workers)} ${fmt(r.eventsPerSecond)} events/s`).join(', ');
  const speedUps = more.map((r) => `${(r.eventsPerSecond / base.eventsPerSecond).toFixed(2)}× at ${r.workers} ${plural(r.workers)}`).join(', ');
  // Identity must not depend on how many workers share the topic: the same conflicts and the same portraits.
  const outcome = (r: CountResult) => /(\d+ identity conflicts).*?; (portraits count .*?); ClickHouse/.exec(r.correct)?.slice(1).join(', ') ?? r.correct;
  const differing = more.filter((r) => outcome(r) !== outcome(base));
  const same = differing.length === 0 ? `portraits and identity conflicts the same at every worker count` : `PORTRAITS DIFFER at ${differing.map((r) => `${r.workers} ${plural(r.workers)} (${outcome(r)})`).join(', ')} from ${base.workers} ${plural(base.workers)}'s (${outcome(base)})`;
  return (
    `scale-out (${partitions} partitions; ${availableParallelism()} cores shared with Kafka, Redis and ClickHouse, so this measures contention as much as scaling): ` +
    `${rates}; speed-up ${speedUps} (against ${base.workers} ${plural(base.workers)}); ${same}`
  );
}

try {
  await redis.connect();

  // redis-benchmark first, while nothing else of the bench runs beside it.
  const evalsha = redisRequests > 0 ? await redisEvalsha(redisRequests) : undefined;
  const backlog = makeBacklog();
  const meanBytes = backlog.meanBytes;
  progress(`${total} records of ${fmt(meanBytes)} bytes on average; worker counts ${workerCounts.join(', ')}, each in a namespace of its own under ${runId}`);
  if (workerCounts.some((n) => n > partitions)) progress(`  warning: more workers than the topic's ${partitions} partitions: the extra ones get none`);

  const results: CountResult[] = [];
  for (const count of workerCounts) {
    // The baselines and the paces once, with the smallest count: the headline figures are all of one configuration.
    const headline = results.length === 0;
    results.push(await benchWorkers(count, backlog.records, { baseline: headline, paced: headline, lean: headline && leanScript !== undefined }));
  }

  const head = results[0] as CountResult;
  const baseline = head.baseline as NonNullable<CountResult['baseline']>;
  const paced = head.paces as PaceResult[];
  // The goals speak of 300 events/s: the latencies of the last line are the pace nearest it.
  const main = paced.reduce((best, p) => (Math.abs(p.pace - 300) < Math.abs(best.pace - 300) ? p : best));
  const p50 = percentile(main.traffic.portrait, 50);
  const p99 = percentile(main.traffic.portrait, 99);
  const alertP50 = percentile(main.traffic.alert, 50);
  const alertP99 = percentile(main.traffic.alert, 99);
  const worstInserts = Math.max(...paced.map((p) => p.insertsPerSecond));
  const worstAmplification = Math.max(...paced.map((p) => p.merges.amplification));
  const ratio = head.eventsPerSecond / baseline.perSecond;
  const ratioRedis = evalsha ? head.eventsPerSecond / evalsha.perSecond : Number.NaN;
  const lean = head.lean;
  const ratioLean = lean ? head.eventsPerSecond / lean.perSecond : Number.NaN;
  const others = results.slice(1);
  const mix = [...backlog.kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${((n / total) * 100).toFixed(1)}%`).join(', ');
  const ms = (values: readonly number[], p: number) => `${percentile(values, p).toFixed(1)} ms`;
  const amplification = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
  const paceLines = (p: PaceResult): string[] => {
    const t = p.traffic;
    const sent = t.sent.probes + t.sent.triggers + t.sent.mix;
    const db = `${space(head.workers).ns}.`;
    const tables = p.tables.map((x) => `${x.table.startsWith(db) ? x.table.slice(db.length) : x.table} ${x.perSecond.toFixed(2)}/s of ${fmt(x.rowsPerInsert)} rows`).join(', ');
    return [
      `paced ${p.pace} events/s: ${sent} events in ${t.seconds.toFixed(1)} s (${t.sent.probes} probes, ${t.sent.triggers} alert triggers, ${t.sent.mix} of the mix); ` +
        `ClickHouse inserts per table per worker, worst ${p.insertsPerSecond.toFixed(2)}/s (${tables || 'none'}); ` +
        `merge amplification ${amplification(p.merges.amplification)} (the namespace's parts: ${p.merges.merged} rows merged ÷ ${p.merges.inserted} inserted over ${p.merges.seconds.toFixed(1)} s, the pace and ${p.merges.settleSeconds.toFixed(1)} s of settling; server-wide system.events ${amplification(p.serverWide.amplification)}: ${p.serverWide.merged} ÷ ${p.serverWide.inserted}); ` +
        `produce acknowledged → portrait updated p50 ${ms(t.portrait, 50)}, p99 ${ms(t.portrait, 99)}, max ${Math.max(...t.portrait).toFixed(1)} ms; ` +
        `→ alert enqueued p50 ${ms(t.alert, 50)}, p99 ${ms(t.alert, 99)}, max ${Math.max(...t.alert).toFixed(1)} ms (first job seen: ${TRIGGER_JOBS.map((j, i) => `${t.alertBy[i]} ${j.rule}`).join(', ')})`,
      `  at ${p.pace} events/s: rows merged ÷ inserted by table: ${[...p.merges.tables].map(([table, n]) => `${table} ${n.merged} ÷ ${n.inserted}`).join(', ') || 'none'}; ${p.live.batches} batches (${fmt(p.live.eventsPerBatch)} events each, ${(p.live.meanSeconds * 1000).toFixed(0)} ms mean to commit); CPU (% of one core): ${cpuLine(p.start.cpu, p.end.cpu)}`,
    ];
  };
  const lastLine = [
    `events_per_s=${fmt(head.eventsPerSecond)} baseline_events_per_s=${fmt(baseline.perSecond)} ratio=${ratio.toFixed(3)} p50_ms=${p50.toFixed(1)} p99_ms=${p99.toFixed(1)} alert_p50_ms=${alertP50.toFixed(1)} alert_p99_ms=${alertP99.toFixed(1)} workers=${head.workers}`,
    `clickhouse_inserts_per_s=${worstInserts.toFixed(2)} merge_amplification=${amplification(worstAmplification)}`,
    ...paced.map((p) => `clickhouse_inserts_per_s_${p.pace}=${p.insertsPerSecond.toFixed(2)} merge_amplification_${p.pace}=${amplification(p.merges.amplification)}`),
    ...(lean ? [`lean_events_per_s=${fmt(lean.perSecond)} ratio_lean=${ratioLean.toFixed(3)}`] : []),
    ...(evalsha ? [`redis_evalsha_per_s=${fmt(evalsha.perSecond)} ratio_redis=${ratioRedis.toFixed(4)}`] : []),
    ...others.map((r) => `events_per_s_${r.workers}_workers=${fmt(r.eventsPerSecond)} speedup_${r.workers}_workers=${(r.eventsPerSecond / head.eventsPerSecond).toFixed(2)}`),
    `redis_roundtrips_per_event=${head.drained.roundTripsPerEvent.toFixed(4)} clickhouse_inserts_per_batch=${head.drained.insertsPerBatch.toFixed(2)}`,
  ].join(' ');
  process.stdout.write(
    [
      `events: ${total} (${mix}); ${fmt(meanBytes)} bytes a record; ${partitions} partitions; worker and baseline read ${concurrency} partitions at once`,
      `backlog produced at ${fmt(head.producedPerSecond as number)} events/s (bare kafkajs producer, acks=all; the baseline's copy, with nothing else running)`,
      ...results.flatMap(drainLines),
      ...(others.length > 0 ? [scaleOutLine(results)] : []),
      `bare kafkajs consumer: ${fmt(baseline.perSecond)} events/s (${total} in ${baseline.seconds.toFixed(2)} s from its first fetch to its last batch)`,
      `ratio (worker ÷ bare consumer): ${ratio.toFixed(3)}`,
      ...(lean
        ? [
            `lean baseline (${relative(ROOT, leanScript as string)}: per batch one JSON.parse per event, one Redis pipeline of one EVALSHA per event, one ClickHouse insert): ${fmt(lean.perSecond)} events/s over the namespace's ${lean.records} records with no worker running (its own bare consumer ${fmt(lean.barePerSecond)} events/s, lean ÷ bare ${lean.overBare.toFixed(3)}, ${lean.usPerEvent.toFixed(1)} µs of its CPU per event)`,
            `ratio (worker ÷ lean): ${ratioLean.toFixed(3)}`,
          ]
        : []),
      ...(evalsha
        ? [`redis-benchmark EVALSHA of a script that does nothing: ${fmt(evalsha.perSecond)} calls/s (${evalsha.description})`, `ratio (${head.workers === 1 ? 'worker' : `${head.workers} workers`} events/s ÷ redis-benchmark EVALSHA calls/s): ${ratioRedis.toFixed(4)}`]
        : []),
      `paced live phase (${head.workers} ${plural(head.workers)} caught up; per pace ${pacedSeconds} s of the mix with current timestamps, ${PROBE_SHARE * 100}% of it probes up to ${PROBES_MAX_PER_S}/s and ${TRIGGER_SHARE * 100}% alert triggers up to ${TRIGGERS_MAX_PER_S}/s; Redis polled every ~5 ms):`,
      ...paced.flatMap(paceLines),
      `goals: ≤ 2 inserts/s per table per worker and merge amplification ≤ 10 at every pace (worst ${worstInserts.toFixed(2)}/s, ${amplification(worstAmplification)}); at ${main.pace} events/s portrait p99 ≤ 100 ms (${p99.toFixed(1)} ms), alert p99 ≤ 200 ms (${alertP99.toFixed(1)} ms)`,
      lastLine,
    ].join('\n') + '\n',
  );
} catch (err) {
  process.exitCode = 1;
  // Once a signal has started the cleanup, what fails next is the cleanup's doing (workers stopped under the run).
  if (!cleaned) process.stderr.write(`bench:ingest failed: ${(err as Error).stack ?? String(err)}\n`);
} finally {
  await cleanup();
}
