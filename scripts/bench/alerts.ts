/**
 * `pnpm bench:alerts`: the alerts service (the real service in its own process) delivering a burst of hot-lead jobs
 * from its BullMQ queue as signed webhooks to a local receiver, beside a bare loop of the same signed POSTs to the
 * same receiver in the same run.
 *
 * The receiver (in this process) verifies every signature and notes when each idempotency key arrived. Throughput is
 * (deliveries − 1) ÷ the time from the first to the last receipt, for the service and the bare loop alike; latency is
 * from a job's addBulk call to its receipt, so for the burst it is mostly time spent waiting in the queue. A paced
 * phase (half the burst's rate) gives the latency one alert sees when the service keeps up. A traced burst counts the
 * Redis commands the service's own connections send per job (MONITOR, filtered to the service's sockets). Beside the
 * figures it prints the CPU each part used (from /proc), since on a small shared machine those explain the figures.
 *
 * The burst's latency is queue wait; what sales wait for is an event on the site turning into a webhook. The
 * end-to-end phase (alerts-e2e.ts) runs the real ingest worker beside the service, in the same namespace, and
 * produces demo requests to the events topic at a steady pace (each fires the demo-request form alert and, the lead
 * now hot, became-hot): from Kafka acknowledging the event (and from handing it to the producer) to the signed
 * webhook received, for every alert the events fired.
 *
 * Options: --jobs N (burst, default 2000), --concurrency N (ALERTS_CONCURRENCY, and the bare loop's, default 16),
 *          --paced-jobs N (default 300), --trace-jobs N (default 300; 0 skips the MONITOR trace),
 *          --e2e-rate N (demo requests a second in the end-to-end phase, default 10: 20 alerts a second),
 *          --e2e-seconds S (its length, default 15; 0 skips it),
 *          --leads N (seeded portraits the jobs are about, default 500), --log-level L (the service's, default warn),
 *          --profile-service DIR (writes the service's V8 CPU profile there when it stops).
 * Needs the services running (scripts/services.sh up).
 * Last line: deliveries_per_s=… baseline_per_s=… ratio=… p99_ms=… e2e_p50_ms=… e2e_p99_ms=… e2e_max_ms=… (the e2e_ keys:
 * Kafka ack → webhook received, end to end; left out with --e2e-seconds 0).
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import { stringify } from 'yaml';
import { alertMessageSchema, verifyWebhookSignature, webhookRequest, type AlertMessage } from '@leadscore/channels';
import { createClickHouse, quoteIdentifier, sql } from '@leadscore/clickhouse';
import { loadConfigOrExit } from '@leadscore/config';
import { ALERTS_QUEUE, alertJobId, alertsQueuePrefix, type HotLeadJob } from '@leadscore/events';
import { createKafka, createProducer, ensureTopics, eventTopicSpecs } from '@leadscore/kafka';
import { createLogger } from '@leadscore/log';
import { companyKeys, encodeLedgerEntry, encodeState, encodeTrait, profileKeys } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { addHeat, defaultRules, heatContribution, type HeatState } from '@leadscore/scoring';
import { DEMO_REQUEST_RULE, produceDemoRequests, removeTopics, startIngestWorker, untilInGroup, type Produced } from './alerts-e2e.ts';
import { ROOT, benchNamespace, cpuSeconds, fmt, freePort, machineCpu, percentile, processTree, progress, startProcess, type RunningProcess } from './lib.ts';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
    'paced-jobs': { type: 'string', default: '300' },
    'trace-jobs': { type: 'string', default: '300' },
    leads: { type: 'string', default: '500' },
    'e2e-rate': { type: 'string', default: '10' },
    'e2e-seconds': { type: 'string', default: '15' },
    'log-level': { type: 'string', default: 'warn' },
    'profile-service': { type: 'string' },
  },
});
const total = Number(args.jobs);
const concurrency = Number(args.concurrency);
const pacedJobs = Number(args['paced-jobs']);
const traceJobs = Number(args['trace-jobs']);
const leads = Number(args.leads);
const e2eRate = Number(args['e2e-rate']);
const e2eSeconds = Number(args['e2e-seconds']);
for (const [name, value, min] of [
  ['jobs', total, 2],
  ['concurrency', concurrency, 1],
  ['paced-jobs', pacedJobs, 0],
  ['trace-jobs', traceJobs, 0],
  ['leads', leads, 1],
  ['e2e-rate', e2eRate, 1],
  ['e2e-seconds', e2eSeconds, 0],
] as const) {
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number of at least ${min}`);
}
const e2eEvents = e2eRate * e2eSeconds;
// ALERTS_CONCURRENCY's own bound (packages/config): beyond it the service would refuse to start.
if (concurrency > 256) throw new Error('--concurrency must be at most 256');

const config = loadConfigOrExit('bench');
const ns = benchNamespace('alerts');
const prefix = alertsQueuePrefix(ns);
const SECRET = `whsec_bench_${ns}`;
const SECRET_ENV = 'BENCH_ALERTS_WEBHOOK_SECRET';
const COMPANIES = Math.max(1, Math.ceil(leads / 5));
const WARM_UP_JOBS = 50;
const ENQUEUE_CHUNK = 200;
/** No receipt for this long means the service is stuck (or dropped jobs): fail rather than wait forever. */
const STALL_MS = 30_000;
const redis: Redis = createRedis(config.redis.url, { connectionName: 'bench-alerts' });
const clickhouse = createClickHouse({ url: config.clickhouse.url, user: config.clickhouse.user, password: config.clickhouse.password });
// BullMQ leaves a connection it was given open on close(): kept here to be closed in the clean-up.
const queueConnection = createRedis(config.redis.url, { connectionName: 'bench-alerts-queue' });
const queue = new Queue(ALERTS_QUEUE, { connection: queueConnection, prefix });
const workDir = mkdtempSync(join(tmpdir(), 'bench-alerts-'));
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: ns }, createLogger({ service: 'bench', level: 'warn', namespace: ns }));

// --- the receiver ---------------------------------------------------------------------------------------------------

interface Receipt {
  /** performance.now() of the first arrival. */
  readonly at: number;
  count: number;
  readonly bytes: number;
  /** The alert's lead and rule, read from the body in the end-to-end phase (its job ids are the ingest worker's). */
  readonly lead?: string;
  readonly rule?: string;
}

/** Every delivery by idempotency key; the receiver answers 200 to all, so nothing is retried on its account. */
const receipts = new Map<string, Receipt>();
const unverified: { key: string; reason: string }[] = [];
let received = 0;
let receiver: Server | undefined;
/** On in the end-to-end phase only: the timed phases before it should not pay for JSON.parse in the receiver. */
let readBodies = false;
/** Keys that arrived while readBodies was on, in order. */
const readKeys: string[] = [];

function aboutOf(body: Buffer): { lead?: string; rule?: string } {
  try {
    const message = JSON.parse(body.toString()) as { lead?: { id?: unknown }; rule?: { id?: unknown } };
    const lead = message.lead?.id;
    const rule = message.rule?.id;
    return { ...(typeof lead === 'string' ? { lead } : {}), ...(typeof rule === 'string' ? { rule } : {}) };
  } catch {
    return {};
  }
}

async function startReceiver(port: number): Promise<void> {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const at = performance.now();
      const body = Buffer.concat(chunks);
      const key = String(request.headers['idempotency-key'] ?? '');
      const verdict = verifyWebhookSignature({ header: request.headers['x-leadscore-signature'] as string | undefined, body, secret: SECRET, now: Date.now() });
      if (!verdict.ok) unverified.push({ key, reason: verdict.reason });
      received++;
      const seen = receipts.get(key);
      if (seen) seen.count++;
      else if (readBodies) {
        receipts.set(key, { at, count: 1, bytes: body.length, ...aboutOf(body) });
        readKeys.push(key);
      } else receipts.set(key, { at, count: 1, bytes: body.length });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver?.listen(port, '127.0.0.1', () => resolve()));
}

/** Waits until every key has arrived; fails when none arrives for STALL_MS. */
async function awaitReceipts(keys: readonly string[], title: string, running?: RunningProcess): Promise<void> {
  let lastCount = -1;
  let lastChange = performance.now();
  let lastReport = performance.now();
  for (;;) {
    const count = keys.reduce((n, k) => n + (receipts.has(k) ? 1 : 0), 0);
    if (count === keys.length) return;
    const now = performance.now();
    if (count !== lastCount) {
      lastCount = count;
      lastChange = now;
    } else if (now - lastChange > STALL_MS) {
      throw new Error(`${title}: no delivery for ${STALL_MS / 1000} s at ${count}/${keys.length}${running ? `:\n${running.output().slice(-4_000)}` : ''}`);
    }
    if (running && running.child.exitCode !== null) throw new Error(`the alerts service exited with ${running.child.exitCode}:\n${running.output().slice(-4_000)}`);
    if (now - lastReport > 2_000) {
      lastReport = now;
      progress(`  ${title}: ${count}/${keys.length} received`);
    }
    // Cheap (a map lookup per key) and this process is the receiver: polling finer would take its CPU.
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Deliveries per second from the first to the last receipt of these keys, and how many bytes each carried. */
function receiptRate(keys: readonly string[]): { perSecond: number; seconds: number; first: number; last: number; meanBytes: number } {
  const got = keys.map((k) => receipts.get(k) as Receipt);
  const first = Math.min(...got.map((r) => r.at));
  const last = Math.max(...got.map((r) => r.at));
  const seconds = (last - first) / 1000;
  return { perSecond: (keys.length - 1) / seconds, seconds, first, last, meanBytes: got.reduce((n, r) => n + r.bytes, 0) / got.length };
}

// --- seeded portraits: compose reads them as it would in production -------------------------------------------------

const DAY_MS = 86_400_000;
const HALF_LIFE_MS = 7 * DAY_MS;
const trait = (t: number, value: unknown) => encodeTrait(t, value);
const leadId = (i: number) => `u:bench-lead-${i}`;

async function seedPortraits(now: number): Promise<void> {
  const pipeline = redis.pipeline();
  for (let c = 0; c < COMPANIES; c++) {
    const keys = companyKeys(ns, `company-${c}`);
    pipeline.hset(keys.state, encodeState({ firstSeen: now - 30 * DAY_MS, lastSeen: now - 3_600_000, counts: { page: 35, form: 5 } }));
    pipeline.hset(keys.traits, {
      name: trait(now, `Company ${c} GmbH`),
      industry: trait(now, 'software'),
      employees: trait(now, 50 + c * 10),
      region: trait(now, ['EMEA', 'APAC', 'AMER'][c % 3]),
    });
  }
  for (let i = 0; i < leads; i++) {
    const company = `company-${i % COMPANIES}`;
    const keys = profileKeys(ns, leadId(i));
    // A lead who has been busy for a few days: heat from a dozen weighted events, hot or warm depending on the lead.
    let heat: HeatState | undefined;
    for (let e = 0; e < 12; e++) heat = addHeat(heat, heatContribution(now - e * 6 * 3_600_000, 5 + (i % 7), HALF_LIFE_MS));
    pipeline.hset(keys.state, encodeState({ firstSeen: now - 20 * DAY_MS, lastSeen: now - 600_000, counts: { page: 25, form: 2, email_click: 3 }, company: { id: company, at: now }, heat: { [String(HALF_LIFE_MS)]: heat as HeatState } }));
    pipeline.hset(keys.traits, {
      name: trait(now, `Lead ${i}`),
      email: trait(now, `lead${i}@company-${i % COMPANIES}.example`),
      title: trait(now, ['CTO', 'VP Engineering', 'Head of Data', 'Developer'][i % 4]),
    });
    pipeline.rpush(keys.ledger, ...Array.from({ length: 8 }, (_, e) => encodeLedgerEntry([{ messageId: `bench-${i}-${e}`, at: now - e * 3_600_000, ruleId: ['pricing-page', 'demo-form', 'email-click'][e % 3] as string, weight: 5 + e, halfLifeMs: HALF_LIFE_MS, rulesVersion: 'bench' }])));
    pipeline.zadd(companyKeys(ns, company).members, now, leadId(i));
  }
  for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
}

// --- jobs -----------------------------------------------------------------------------------------------------------

/** Job id (= the idempotency key the receiver sees) → when its addBulk call began. */
const enqueuedAt = new Map<string, number>();

function hotLeadJob(phase: string, i: number, firedAt: string): HotLeadJob {
  return {
    lead: leadId(i % leads),
    rule: 'pricing-streak',
    kind: 'streak',
    window: `${phase}-${i}`,
    action: 'call today',
    evidence: { days: ['2026-11-23', '2026-11-24', '2026-11-25'], consecutiveDays: 3, timeZone: 'UTC' },
    messageId: `${ns}-${phase}-${i}`,
    rulesVersion: 'bench',
    firedAt,
  };
}

/** Adds the jobs in chunks as fast as Redis takes them; each job's enqueue time is the start of its chunk's call. */
async function enqueue(phase: string, count: number): Promise<string[]> {
  const firedAt = new Date().toISOString();
  const ids: string[] = [];
  for (let from = 0; from < count; from += ENQUEUE_CHUNK) {
    const chunk = Array.from({ length: Math.min(ENQUEUE_CHUNK, count - from) }, (_, k) => {
      const data = hotLeadJob(phase, from + k, firedAt);
      const id = alertJobId(data.lead, data.rule, data.window);
      ids.push(id);
      return { name: data.rule, data, opts: { jobId: id, attempts: 3, backoff: { type: 'custom' }, removeOnFail: false } };
    });
    const at = performance.now();
    for (const { opts } of chunk) enqueuedAt.set(opts.jobId, at);
    await queue.addBulk(chunk);
  }
  return ids;
}

/** One job at a time at a steady rate, so the latency is that of an alert the service is not behind on. */
async function enqueuePaced(phase: string, count: number, perSecond: number): Promise<string[]> {
  const firedAt = new Date().toISOString();
  const ids: string[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const data = hotLeadJob(phase, i, firedAt);
    const id = alertJobId(data.lead, data.rule, data.window);
    ids.push(id);
    enqueuedAt.set(id, performance.now());
    await queue.add(data.rule, data, { jobId: id, attempts: 3, backoff: { type: 'custom' }, removeOnFail: false });
  }
  return ids;
}

const latencies = (ids: readonly string[]) => ids.map((id) => (receipts.get(id) as Receipt).at - (enqueuedAt.get(id) as number));

// --- the bare loop --------------------------------------------------------------------------------------------------

/** A message of the shape and size the service composes from a seeded portrait (checked against the schema). */
function templateMessage(now: number): AlertMessage {
  return alertMessageSchema.parse({
    idempotencyKey: 'template',
    firedAt: new Date(now).toISOString(),
    lead: {
      id: leadId(1),
      name: 'Lead 1',
      email: 'lead1@company-1.example',
      title: 'VP Engineering',
      grade: 'B',
      tier: 'hot',
      heat: 61.3,
      company: { id: 'company-1', name: 'Company 1 GmbH', industry: 'software', size: 60, region: 'APAC' },
    },
    rule: { id: 'pricing-streak', kind: 'streak', action: 'call today' },
    why: {
      summary: '3 consecutive days on the pattern of rule pricing-streak: 2026-11-23, 2026-11-24, 2026-11-25 (UTC)',
      evidence: { days: ['2026-11-23', '2026-11-24', '2026-11-25'], consecutiveDays: 3, timeZone: 'UTC' },
      ledger: Array.from({ length: 5 }, (_, e) => ({ rule: ['pricing-page', 'demo-form', 'email-click'][e % 3], weight: 5 + e, at: new Date(now - e * 3_600_000).toISOString() })),
    },
  });
}

/**
 * `count` signed POSTs of the template, `concurrency` at a time, each signed when sent as the service signs its own;
 * with keep-alive (the bound for any HTTP sender), or a fresh connection per request as the service's deliverHttp
 * opens one.
 */
async function bareLoop(url: string, phase: string, count: number, keepAlive: boolean): Promise<string[]> {
  const template = templateMessage(Date.now());
  const shared = keepAlive ? new Agent({ keepAlive: true, maxSockets: concurrency }) : undefined;
  const ids = Array.from({ length: count }, (_, i) => `${ns}-${phase}-${i}`);
  let next = 0;
  const post = (id: string) =>
    new Promise<void>((resolve, reject) => {
      const signed = webhookRequest({ ...template, idempotencyKey: id }, { secret: SECRET, now: Date.now() });
      const agent = shared ?? new Agent({ keepAlive: false });
      const request = httpRequest(url, { method: 'POST', agent, headers: { ...signed.headers, 'content-length': String(Buffer.byteLength(signed.body)) } }, (response) => {
        response.resume();
        response.on('end', () => {
          if (!shared) agent.destroy();
          if (response.statusCode === 200) resolve();
          else reject(new Error(`the receiver answered ${response.statusCode} to ${id}`));
        });
      });
      request.on('error', reject);
      request.end(signed.body);
    });
  const worker = async () => {
    while (next < count) await post(ids[next++] as string);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  shared?.destroy();
  return ids;
}

// --- CPU and Redis evidence -----------------------------------------------------------------------------------------

/** The services' pids from scripts/services.sh's pid files. */
function servicePid(name: string): number | undefined {
  try {
    return Number(readFileSync(`${process.env.LEADSCORE_DATA_DIR ?? `${ROOT}.data`}/default/${name}/pid`, 'utf8').trim());
  } catch {
    return undefined;
  }
}
const servicePids = { redis: servicePid('redis'), clickhouse: servicePid('clickhouse'), kafka: servicePid('kafka') };

interface CpuSnapshot {
  readonly at: number;
  readonly parts: Record<string, number>;
  readonly machine: { busy: number; total: number };
}

/** With `ingestPids` (the end-to-end phase), the ingest worker and Kafka are parts too. */
function cpuSnapshot(servicePidsNow: readonly number[], ingestPids?: readonly number[]): CpuSnapshot {
  const self = process.cpuUsage();
  return {
    at: performance.now(),
    parts: {
      'alerts service': servicePidsNow.length > 0 ? cpuSeconds(servicePidsNow) : 0,
      ...(ingestPids ? { 'ingest worker': cpuSeconds(ingestPids) } : {}),
      'bench (receiver, enqueuer, bare loop)': (self.user + self.system) / 1e6,
      redis: servicePids.redis ? cpuSeconds([servicePids.redis]) : Number.NaN,
      clickhouse: servicePids.clickhouse ? cpuSeconds([servicePids.clickhouse]) : Number.NaN,
      ...(ingestPids ? { kafka: servicePids.kafka ? cpuSeconds([servicePids.kafka]) : Number.NaN } : {}),
    },
    machine: machineCpu(),
  };
}

/** Each part's CPU over the window in % of one core (and per delivery), and the machine's busy share of its cores. */
function cpuLine(from: CpuSnapshot, to: CpuSnapshot, deliveries: number): string {
  const seconds = (to.at - from.at) / 1000;
  const parts = Object.keys(to.parts).map((name) => ({ name, used: (to.parts[name] as number) - (from.parts[name] as number) }));
  const busy = to.machine.busy - from.machine.busy;
  const known = parts.reduce((n, p) => n + (Number.isNaN(p.used) ? 0 : p.used), 0);
  const pct = (s: number) => `${Math.round((s / seconds) * 100)}%`;
  const each = (s: number) => `${((s / deliveries) * 1e6).toFixed(0)} µs/delivery`;
  return (
    `${parts
      .filter((p) => p.used !== 0)
      .map((p) => (Number.isNaN(p.used) ? `${p.name} ?` : `${p.name} ${pct(p.used)} (${each(p.used)})`))
      .join(', ')}, ` + `other processes ${pct(Math.max(0, busy - known))}; machine ${Math.round((busy / (to.machine.total - from.machine.total)) * 100)}% busy of ${availableParallelism()} cores`
  );
}

/** Local ports of the TCP connections these processes hold to Redis, from /proc (socket inodes → /proc/net/tcp). */
function redisClientPorts(pids: readonly number[], redisPort: number): Set<number> {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1] as string);
      } catch {
        // closed meanwhile
      }
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines: string[] = [];
    try {
      lines = readFileSync(table, 'utf8').split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      const local = f[1];
      const remote = f[2];
      if (!local || !remote || !inodes.has(f[9] ?? '')) continue;
      if (Number.parseInt(remote.split(':')[1] ?? '', 16) === redisPort) ports.add(Number.parseInt(local.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}

interface RedisTrace {
  /** Commands the service's connections sent, by name (MULTI…EXEC counted as the commands inside). */
  readonly commands: Map<string, number>;
  /** Requests that waited for an answer: each command, a MULTI…EXEC block counting once. */
  readonly roundTrips: number;
  /** Commands run inside the service's Lua scripts (BullMQ's), counted apart. */
  readonly scripted: number;
  readonly connections: number;
  /** The traced jobs' ids. */
  readonly ids: readonly string[];
}

/**
 * MONITOR over a burst of jobs, keeping what the service's own sockets sent. MONITOR slows Redis for every client, so
 * this runs apart from the timed phases. Lua calls follow their EVALSHA in the stream (scripts run atomically), so
 * they are the service's when the last top-level command was.
 */
async function traceRedis(servicePidsNow: readonly number[], count: number, running: RunningProcess): Promise<RedisTrace> {
  const redisPort = Number(new URL(config.redis.url).port || 6379);
  const ports = redisClientPorts(servicePidsNow, redisPort);
  if (ports.size === 0) throw new Error('found no Redis connection of the alerts service in /proc');
  // A connection of its own (ioredis duplicates the client for MONITOR), closed below.
  const monitor = await redis.monitor();
  const commands = new Map<string, number>();
  let roundTrips = 0;
  let scripted = 0;
  let ours = false;
  const inMulti = new Set<string>();
  monitor.on('monitor', (_time: string, argv: string[], source: string) => {
    const name = String(argv[0] ?? '').toLowerCase();
    if (source === 'lua') {
      if (ours) scripted++;
      return;
    }
    const port = Number(source.slice(source.lastIndexOf(':') + 1));
    ours = ports.has(port);
    if (!ours) return;
    commands.set(name, (commands.get(name) ?? 0) + 1);
    if (name === 'multi') inMulti.add(source);
    else if (name === 'exec' || name === 'discard') {
      inMulti.delete(source);
      roundTrips++;
    } else if (!inMulti.has(source)) roundTrips++;
  });
  let ids: string[];
  try {
    ids = await enqueue('trace', count);
    await awaitReceipts(ids, 'traced burst', running);
    await awaitCompleted();
  } finally {
    monitor.disconnect();
  }
  return { commands, roundTrips, scripted, connections: ports.size, ids };
}

/** Receipt comes before the job's delivered key and ClickHouse row are written; wait for the job to complete. */
async function awaitCompleted(): Promise<void> {
  const deadline = performance.now() + STALL_MS;
  for (;;) {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed');
    if ((counts.failed ?? 0) > 0) {
      const failed = await queue.getFailed(0, 4);
      throw new Error(`${counts.failed} jobs failed: ${failed.map((j) => `${j.id}: ${j.failedReason}`).join('; ')}`);
    }
    if ((counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0) === 0) return;
    if (performance.now() > deadline) throw new Error(`jobs still pending after ${STALL_MS / 1000} s: ${JSON.stringify(counts)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** ClickHouse's own counters (system.events) so far: what the service's per-job inserts cost it. */
async function clickhouseEvents(): Promise<Record<string, number>> {
  const result = await clickhouse.query({
    query: "SELECT event, value FROM system.events WHERE event IN ('InsertQuery', 'InsertedRows', 'Merge', 'MergedRows', 'SelectQuery')",
    format: 'JSONEachRow',
  });
  const rows = (await result.json()) as { event: string; value: string | number }[];
  return Object.fromEntries(rows.map((r) => [r.event, Number(r.value)]));
}

/**
 * Where a job's concurrency slot goes, from BullMQ's own processedOn/finishedOn (the service's wall clock, ms) and the
 * receipt: before the receipt are compose, the delivered check, the rate limit and the POST; after it the delivered
 * key and the ClickHouse insert of the attempt, which the job waits for before its slot takes the next one.
 */
async function slotTimes(ids: readonly string[]): Promise<{ beforeReceipt: number[]; afterReceipt: number[]; slot: number[] }> {
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(`${prefix}:${ALERTS_QUEUE}:${id}`, 'processedOn', 'finishedOn');
  const replies = (await pipeline.exec()) ?? [];
  const out = { beforeReceipt: [] as number[], afterReceipt: [] as number[], slot: [] as number[] };
  replies.forEach(([err, value], i) => {
    if (err) throw err;
    const [processedOn, finishedOn] = (value as (string | null)[]).map(Number);
    const receipt = performance.timeOrigin + (receipts.get(ids[i] as string) as Receipt).at;
    if (!Number.isFinite(processedOn) || !Number.isFinite(finishedOn)) return;
    out.beforeReceipt.push(receipt - (processedOn as number));
    out.afterReceipt.push((finishedOn as number) - receipt);
    out.slot.push((finishedOn as number) - (processedOn as number));
  });
  return out;
}

/**
 * The most active parts the deliveries table had, sampled every 250 ms until `done`: each per-job insert makes a
 * part, and past parts_to_delay_insert ClickHouse sleeps before accepting the next insert.
 */
function sampleParts(done: Promise<unknown>): Promise<number> {
  let most = 0;
  let finished = false;
  void done.finally(() => (finished = true)).catch(() => {});
  return (async () => {
    while (!finished) {
      try {
        const result = await clickhouse.query({ query: sql`SELECT count() AS n FROM system.parts WHERE database = ${ns} AND table = 'alert_deliveries' AND active`, format: 'JSONEachRow' });
        most = Math.max(most, Number(((await result.json()) as { n: string | number }[])[0]?.n ?? 0));
      } catch {
        // a sample lost is no reason to fail the run
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return most;
  })();
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const spread = (values: readonly number[]) => `mean ${mean(values).toFixed(1)} ms, p50 ${percentile(values, 50).toFixed(1)}, p99 ${percentile(values, 99).toFixed(1)}`;

// --- end to end: events through the ingest worker ------------------------------------------------------------------

const E2E_WARM_UP_EVENTS = 20;
let ingest: RunningProcess | undefined;
let producer: Producer | undefined;
let topicsMade = false;

/** Waits until each of these leads has its demo-request alert; fails when none arrives for STALL_MS. */
async function awaitDemoAlerts(wanted: readonly string[], title: string, running: readonly RunningProcess[]): Promise<void> {
  const waiting = new Set(wanted);
  let scanned = 0;
  let lastChange = performance.now();
  let lastReport = performance.now();
  while (waiting.size > 0) {
    const before = waiting.size;
    for (; scanned < readKeys.length; scanned++) {
      const r = receipts.get(readKeys[scanned] as string);
      if (r?.rule === DEMO_REQUEST_RULE && r.lead !== undefined) waiting.delete(r.lead);
    }
    const now = performance.now();
    if (waiting.size !== before) lastChange = now;
    else if (now - lastChange > STALL_MS) {
      throw new Error(`${title}: no demo-request alert for ${STALL_MS / 1000} s, ${waiting.size}/${wanted.length} missing:\n${running.map((p) => p.output().slice(-3_000)).join('\n---\n')}`);
    }
    const exited = running.find((p) => p.child.exitCode !== null);
    if (exited) throw new Error(`a service exited with ${exited.child.exitCode}:\n${exited.output().slice(-4_000)}`);
    if (now - lastReport > 2_000) {
      lastReport = now;
      progress(`  ${title}: ${wanted.length - waiting.size}/${wanted.length} demo-request alerts received`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface EndToEnd {
  readonly events: number;
  /** Every alert the measured events fired: their keys, for the correctness check. */
  readonly keys: readonly string[];
  readonly warmUpKeys: readonly string[];
  readonly byRule: Map<string, number[]>;
  readonly fromAck: number[];
  readonly fromSend: number[];
  /** From the jobs' own timestamps: ack → job added (the ingest worker), added → taken (the queue), taken → received. */
  readonly stages: { toJob: number[]; queued: number[]; toReceipt: number[] };
  readonly cpu: string;
}

/** Where each measured alert's time went, from BullMQ's timestamp and processedOn (wall-clock ms of the services). */
async function e2eStages(keys: readonly string[], produced: ReadonlyMap<string, Produced>): Promise<EndToEnd['stages']> {
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hmget(`${prefix}:${ALERTS_QUEUE}:${key}`, 'timestamp', 'processedOn');
  const replies = (await pipeline.exec()) ?? [];
  const stages: EndToEnd['stages'] = { toJob: [], queued: [], toReceipt: [] };
  replies.forEach(([err, value], i) => {
    if (err) throw err;
    const [added, taken] = (value as (string | null)[]).map((v) => Number(v) - performance.timeOrigin);
    const receipt = receipts.get(keys[i] as string) as Receipt;
    const ackedAt = produced.get(receipt.lead as string)?.ackedAt;
    if (!Number.isFinite(added) || !Number.isFinite(taken) || ackedAt === undefined) return;
    stages.toJob.push((added as number) - ackedAt);
    stages.queued.push((taken as number) - (added as number));
    stages.toReceipt.push(receipt.at - (taken as number));
  });
  return stages;
}

/**
 * Demo requests at e2eRate a second for e2eSeconds, each from a new lead, through Kafka and the ingest worker to the
 * alerts service and the receiver; after a warm-up of the same, so the worker's first batches are not timed.
 */
async function endToEnd(serviceTree: readonly number[], worker: RunningProcess): Promise<EndToEnd> {
  await untilInGroup(kafka, ns, worker);
  producer = createProducer(kafka);
  await producer.connect();
  const ingestTree = processTree(worker.child.pid as number);
  const running = [worker, service as RunningProcess];
  readBodies = true;

  progress(`  warm-up: ${E2E_WARM_UP_EVENTS} demo requests at ${e2eRate}/s`);
  const warm = await produceDemoRequests(producer, ns, 'e2e-warm', E2E_WARM_UP_EVENTS, e2eRate);
  await awaitDemoAlerts(warm.map((w) => w.lead), 'end-to-end warm-up', running);
  await awaitCompleted();
  const warmUpKeys = readKeys.slice();

  progress(`  ${e2eEvents} demo requests at ${e2eRate}/s for ${e2eSeconds} s`);
  const cpu0 = cpuSnapshot(serviceTree, ingestTree);
  const events = await produceDemoRequests(producer, ns, 'e2e', e2eEvents, e2eRate);
  await awaitDemoAlerts(events.map((e) => e.lead), 'end to end', running);
  const cpu1 = cpuSnapshot(serviceTree, ingestTree);
  // The other alerts of the last events (became-hot) were queued with their demo-request alert; let them finish.
  await awaitCompleted();
  readBodies = false;

  const produced = new Map(events.map((e) => [e.lead, e]));
  const keys = readKeys.slice(warmUpKeys.length);
  const byRule = new Map<string, number[]>();
  const fromAck: number[] = [];
  const fromSend: number[] = [];
  for (const key of keys) {
    const receipt = receipts.get(key) as Receipt;
    const event = produced.get(receipt.lead as string);
    if (!event || event.ackedAt === undefined) throw new Error(`INCORRECT RESULT: alert ${key} (rule ${receipt.rule}) is about ${receipt.lead}, who sent no measured event`);
    fromAck.push(receipt.at - event.ackedAt);
    fromSend.push(receipt.at - event.sentAt);
    byRule.set(receipt.rule as string, [...(byRule.get(receipt.rule as string) ?? []), receipt.at - event.ackedAt]);
  }
  return { events: events.length, keys, warmUpKeys, byRule, fromAck, fromSend, stages: await e2eStages(keys, produced), cpu: cpuLine(cpu0, cpu1, keys.length) };
}

/** p50, p99 and max of milliseconds, as the figures print them. */
const triple = (values: readonly number[]) => `p50 ${percentile(values, 50).toFixed(1)} ms, p99 ${percentile(values, 99).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms`;

function e2eLines(r: EndToEnd): string[] {
  const rules = [...r.byRule].sort((a, b) => b[1].length - a[1].length);
  const p = (values: readonly number[]) => `${percentile(values, 50).toFixed(1)} / ${percentile(values, 99).toFixed(1)}`;
  return [
    `end to end (the ingest worker beside the service): ${r.events} demo requests from new leads at ${e2eRate}/s for ${e2eSeconds} s, produced as the collector produces (acks from all replicas, one event a send); ` +
      `${r.keys.length} alerts (${rules.map(([rule, v]) => `${rule} ${v.length}`).join(', ')}), ${fmt(r.keys.length / e2eSeconds)} a second`,
    `  Kafka ack → signed webhook received: ${triple(r.fromAck)}; from handing the event to the producer: ${triple(r.fromSend)}`,
    `  by rule, from the ack: ${rules.map(([rule, v]) => `${rule} ${triple(v)}`).join('; ')}`,
    `  where it went (p50 / p99 ms): ack → job in the queue (ingest worker) ${p(r.stages.toJob)}; waiting in the queue ${p(r.stages.queued)}; taken → received (compose, POST) ${p(r.stages.toReceipt)}`,
    `  CPU (% of one core): ${r.cpu}`,
  ];
}

// --- correctness ----------------------------------------------------------------------------------------------------

/** Every delivery verified, every job delivered exactly once, nothing unknown, every job completed and recorded. */
async function checkCorrect(expected: readonly string[], serviceJobs: number): Promise<string> {
  const want = new Set(expected);
  const missing = expected.filter((k) => !receipts.has(k));
  const repeated = [...receipts].filter(([, r]) => r.count > 1);
  const unknown = [...receipts.keys()].filter((k) => !want.has(k));
  const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
  const rows = (await (await clickhouse.query({ query: sql`SELECT outcome, count() AS n FROM ${quoteIdentifier(ns)}.alert_deliveries GROUP BY outcome`, format: 'JSONEachRow' })).json()) as {
    outcome: string;
    n: string;
  }[];
  const delivered = Number(rows.find((r) => r.outcome === 'delivered')?.n ?? 0);
  const otherRows = rows.filter((r) => r.outcome !== 'delivered').map((r) => `${r.outcome} ${r.n}`);
  const problems = [
    unverified.length > 0 && `${unverified.length} deliveries failed signature verification (first: ${unverified[0]?.key} ${unverified[0]?.reason})`,
    missing.length > 0 && `${missing.length} deliveries never arrived (first: ${missing[0]})`,
    repeated.length > 0 && `${repeated.length} keys arrived more than once (first: ${repeated[0]?.[0]} ×${repeated[0]?.[1].count})`,
    unknown.length > 0 && `${unknown.length} unexpected keys arrived (first: ${unknown[0]})`,
    received !== expected.length && `the receiver got ${received} requests for ${expected.length} deliveries`,
    counts.completed !== serviceJobs && `BullMQ completed ${counts.completed} jobs, expected ${serviceJobs} (${JSON.stringify(counts)})`,
    delivered !== serviceJobs && `ClickHouse recorded ${delivered} delivered attempts, expected ${serviceJobs}`,
    otherRows.length > 0 && `ClickHouse recorded other attempts: ${otherRows.join(', ')}`,
  ].filter((p): p is string => typeof p === 'string');
  if (problems.length > 0) throw new Error(`INCORRECT RESULT:\n  ${problems.join('\n  ')}`);
  return `${received} requests, all verified, each of ${expected.length} keys exactly once; BullMQ ${counts.completed} completed, 0 failed; ClickHouse ${delivered} delivered attempts, no others`;
}

// --- clean-up -------------------------------------------------------------------------------------------------------

let service: RunningProcess | undefined;
let cleaned: Promise<void> | undefined;
/**
 * Services being started. The clean-up waits for them (a start ends in a minute at most), so that one interrupted
 * while it starts is stopped too, and is not migrating the database while the clean-up drops it.
 */
const starting = new Set<Promise<unknown>>();
function started<T>(start: Promise<T>): Promise<T> {
  starting.add(start);
  void start.catch(() => {}).finally(() => starting.delete(start));
  return start;
}
function cleanup(): Promise<void> {
  cleaned ??= (async () => {
    progress('cleaning up: ingest worker, service, topics, queue, Redis keys, ClickHouse database, receiver');
    const step = async (what: string, run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (err) {
        progress(`  cleanup: ${what} failed: ${(err as Error).message}`);
      }
    };
    await Promise.allSettled([...starting]);
    // Stopped first, so nothing writes the keys and rows deleted below; the ingest worker before the service it feeds.
    await step('stopping the ingest worker', async () => ingest?.stop());
    await step('stopping the service', async () => service?.stop());
    await step('producer', async () => producer?.disconnect());
    await step('topics and consumer group', async () => {
      if (!topicsMade) return;
      const admin = kafka.admin();
      await admin.connect();
      try {
        await removeTopics(admin, ns);
      } finally {
        await admin.disconnect();
      }
    });
    await step('queue', async () => {
      await queue.obliterate({ force: true });
      await queue.close();
    });
    await step('Redis keys', async () => {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `*${ns}*`, 'COUNT', 1_000);
        cursor = next;
        for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
      } while (cursor !== '0');
    });
    await step('ClickHouse database', async () => clickhouse.command({ query: sql`DROP DATABASE IF EXISTS ${quoteIdentifier(ns)}` }));
    await step('receiver', async () => {
      receiver?.closeAllConnections();
      await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    });
    await step('clients', async () => {
      redis.disconnect();
      queueConnection.disconnect();
      await clickhouse.close();
    });
    rmSync(workDir, { recursive: true, force: true });
  })();
  return cleaned;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

// --- the run --------------------------------------------------------------------------------------------------------

try {
  const receiverPort = await freePort();
  await startReceiver(receiverPort);
  const url = `http://127.0.0.1:${receiverPort}/alerts`;
  progress(`namespace ${ns}: receiver on port ${receiverPort}; seeding ${leads} portraits at ${COMPANIES} companies`);
  await seedPortraits(Date.now());

  // The baseline before the service starts, so an idle worker takes no CPU from it; warmed up like the service.
  progress(`baseline: ${total} signed POSTs, ${concurrency} at a time, keep-alive`);
  const baselineKeys = [...(await bareLoop(url, 'warm-baseline', 200, true))];
  const cpuBaseline0 = cpuSnapshot([]);
  const keepAliveIds = await bareLoop(url, 'baseline', total, true);
  const cpuBaseline1 = cpuSnapshot([]);
  baselineKeys.push(...keepAliveIds);
  const baseline = receiptRate(keepAliveIds);
  progress(`  ${fmt(baseline.perSecond)} deliveries/s; again with a new connection per request, as the service did before keep-alive`);
  const freshIds = await bareLoop(url, 'baseline-fresh', total, false);
  baselineKeys.push(...freshIds);
  const fresh = receiptRate(freshIds);

  const rulesFile = join(workDir, 'rules.yaml');
  writeFileSync(rulesFile, stringify({ ...defaultRules, routing: { channels: { bench: { type: 'webhook', url, secretEnv: SECRET_ENV } }, routes: [], default: ['bench'] } }));
  const metricsPort = await freePort();
  progress(`starting the alerts service (concurrency ${concurrency}, metrics port ${metricsPort})`);
  const alertsService = await started(
    startProcess(
      'services/alerts/src/main.ts',
      {
        NAMESPACE: ns,
        REDIS_URL: config.redis.url,
        CLICKHOUSE_URL: config.clickhouse.url,
        CLICKHOUSE_DATABASE: '',
        RULES_FILE: rulesFile,
        [SECRET_ENV]: SECRET,
        ALERTS_CONCURRENCY: String(concurrency),
        // The most the service accepts: the limiter still runs its MULTI per delivery, but never holds a job back.
        ALERTS_RATE_PER_MINUTE: '100000',
        ALERTS_METRICS_PORT: String(metricsPort),
        ALERTS_REFUSE_PRIVATE_TARGETS: 'false',
        LOG_LEVEL: args['log-level'] as string,
      },
      `http://127.0.0.1:${metricsPort}/healthz`,
      args['profile-service'] ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${args['profile-service']}`] } : {},
    ).then((running) => (service = running)),
  );
  // tsx runs the service in a child process of its own: its CPU is the whole tree's.
  const tree = processTree(alertsService.child.pid as number);
  const serviceKeys: string[] = [];

  progress(`warm-up: ${WARM_UP_JOBS} jobs`);
  const warm = await enqueue('warm', WARM_UP_JOBS);
  serviceKeys.push(...warm);
  await awaitReceipts(warm, 'warm-up', alertsService);
  await awaitCompleted();

  progress(`burst: ${total} jobs in addBulk calls of ${ENQUEUE_CHUNK}`);
  const ch0 = await clickhouseEvents();
  const cpu0 = cpuSnapshot(tree);
  const burst = await enqueue('burst', total);
  const enqueueSeconds = (performance.now() - cpu0.at) / 1000;
  serviceKeys.push(...burst);
  const burstDone = awaitReceipts(burst, 'burst', alertsService);
  const mostParts = sampleParts(burstDone);
  await burstDone;
  const cpu1 = cpuSnapshot(tree);
  const ch1 = await clickhouseEvents();
  await awaitCompleted();
  const rate = receiptRate(burst);
  const burstLatency = latencies(burst);
  const slots = await slotTimes(burst);
  const chDelta = (name: string) => ((ch1[name] ?? 0) - (ch0[name] ?? 0)) / total;

  let paced: number[] = [];
  const pacedRate = Math.max(1, Math.round(rate.perSecond / 2));
  if (pacedJobs > 0) {
    progress(`paced: ${pacedJobs} jobs one at a time at ${pacedRate}/s (half the burst's rate)`);
    const ids = await enqueuePaced('paced', pacedJobs, pacedRate);
    serviceKeys.push(...ids);
    await awaitReceipts(ids, 'paced', alertsService);
    await awaitCompleted();
    paced = latencies(ids);
  }

  // The ingest worker starts while the untimed trace runs, which hides part of its start-up (tsx, migrations, the
  // group join) and keeps it off the CPU during the timed phases above.
  let ingestStarting: Promise<RunningProcess> | undefined;
  if (e2eEvents > 0) {
    const ingestPort = await freePort();
    progress(`starting the ingest worker for the end-to-end phase (metrics port ${ingestPort})`);
    topicsMade = true;
    await ensureTopics(kafka, eventTopicSpecs(ns, config.kafka));
    ingestStarting = started(startIngestWorker({ ns, brokers: config.kafka.brokers, redisUrl: config.redis.url, clickhouseUrl: config.clickhouse.url, rulesFile, metricsPort: ingestPort }).then((worker) => (ingest = worker)));
    // Awaited below; handled now so that a failed start during the trace does not end the process without cleaning up.
    ingestStarting.catch(() => {});
  }

  let trace: RedisTrace | undefined;
  if (traceJobs > 0) {
    progress(`Redis trace: MONITOR over a burst of ${traceJobs} jobs (not timed)`);
    trace = await traceRedis(processTree(alertsService.child.pid as number), traceJobs, alertsService);
    serviceKeys.push(...trace.ids);
  }

  let e2e: EndToEnd | undefined;
  if (ingestStarting) {
    progress('end to end: demo requests through Kafka and the ingest worker to the webhook');
    e2e = await endToEnd(tree, await ingestStarting);
    serviceKeys.push(...e2e.warmUpKeys, ...e2e.keys);
  }

  // A late duplicate (a retry after a lost answer) would come after the job completed; give it a moment to show.
  await new Promise((r) => setTimeout(r, 500));
  progress('checking deliveries, BullMQ and ClickHouse');
  const correct = await checkCorrect([...baselineKeys, ...serviceKeys], serviceKeys.length);

  const p50 = percentile(burstLatency, 50);
  const p99 = percentile(burstLatency, 99);
  const ratio = rate.perSecond / baseline.perSecond;
  const traceLines = trace
    ? [
        `redis per job (MONITOR of the service's ${trace.connections} connections over ${traceJobs} jobs): ${(trace.roundTrips / traceJobs).toFixed(2)} round trips, ` +
          `${([...trace.commands.values()].reduce((a, b) => a + b, 0) / traceJobs).toFixed(2)} commands (` +
          [...trace.commands]
            .sort((a, b) => b[1] - a[1])
            .map(([name, n]) => `${name} ${(n / traceJobs).toFixed(2)}`)
            .join(', ') +
          `), ${(trace.scripted / traceJobs).toFixed(1)} more inside BullMQ's Lua scripts`,
      ]
    : [];
  process.stdout.write(
    [
      `jobs: ${total} in a burst (enqueued in ${enqueueSeconds.toFixed(2)} s), about ${leads} seeded leads at ${COMPANIES} companies; concurrency ${concurrency} (service and bare loop); one webhook channel; service LOG_LEVEL ${args['log-level']}`,
      `alerts service: ${fmt(rate.perSecond)} deliveries/s (${total} from the first to the last receipt in ${rate.seconds.toFixed(2)} s; ${fmt(rate.meanBytes)} bytes a body)`,
      `  enqueue → receipt (burst, mostly waiting in the queue): p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...burstLatency).toFixed(1)} ms`,
      ...(paced.length > 0
        ? [`  enqueue → receipt (paced, ${pacedJobs} jobs at ${pacedRate}/s): p50 ${percentile(paced, 50).toFixed(1)} ms, p99 ${percentile(paced, 99).toFixed(1)} ms, max ${Math.max(...paced).toFixed(1)} ms`]
        : []),
      `  CPU during the burst (% of one core): ${cpuLine(cpu0, cpu1, total)}`,
      `  a job's concurrency slot: ${spread(slots.slot)}; taken to the receipt ${spread(slots.beforeReceipt)}; after it (delivered key, ClickHouse insert) ${spread(slots.afterReceipt)}; ` +
        `${concurrency} slots ÷ mean slot = ${fmt((concurrency * 1000) / mean(slots.slot))} jobs/s`,
      `  ClickHouse per delivery during the burst (system.events, the whole server): ${chDelta('InsertQuery').toFixed(2)} insert queries, ${chDelta('InsertedRows').toFixed(2)} rows, ${chDelta('Merge').toFixed(2)} merges, ${chDelta('SelectQuery').toFixed(2)} selects; at most ${await mostParts} active parts in alert_deliveries`,
      ...traceLines.map((l) => `  ${l}`),
      ...(e2e ? e2eLines(e2e) : []),
      `bare loop, keep-alive: ${fmt(baseline.perSecond)} deliveries/s (${total} in ${baseline.seconds.toFixed(2)} s; ${fmt(baseline.meanBytes)} bytes a body)`,
      `  CPU (% of one core): ${cpuLine(cpuBaseline0, cpuBaseline1, total)}`,
      `bare loop, a new connection per request (as the service's deliverHttp did before its keep-alive pools): ${fmt(fresh.perSecond)} deliveries/s`,
      `ratio (service ÷ bare loop with keep-alive): ${ratio.toFixed(3)}; service ÷ bare loop without keep-alive: ${(rate.perSecond / fresh.perSecond).toFixed(3)}`,
      `correct: ${correct}`,
      `deliveries_per_s=${fmt(rate.perSecond)} baseline_per_s=${fmt(baseline.perSecond)} ratio=${ratio.toFixed(3)} p99_ms=${p99.toFixed(1)}` +
        (e2e ? ` e2e_p50_ms=${percentile(e2e.fromAck, 50).toFixed(1)} e2e_p99_ms=${percentile(e2e.fromAck, 99).toFixed(1)} e2e_max_ms=${Math.max(...e2e.fromAck).toFixed(1)}` : ''),
    ].join('\n') + '\n',
  );
} catch (err) {
  process.exitCode = 1;
  process.stderr.write(`bench:alerts failed: ${(err as Error).stack ?? String(err)}\n`);
} finally {
  await cleanup();
}
