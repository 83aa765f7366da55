/**
 * `pnpm bench:api [--leads N] [--requests N] [--connections N]`: fills a namespace of its own with N lead portraits
 * (Redis, as the ingest workers leave them: heat, company, traits, the last-seen index; 1 in 20 companies) and their
 * events (ClickHouse, 5 per lead), ranks them with one sweep, then drives the real API (in its own process, over HTTP,
 * autocannon) with `GET /leads/hot` and `GET /leads/:id` for random leads, beside a baseline from the same run: the
 * same server answering `/healthz` (HTTP and Fastify alone). The last line:
 *   leads=… p50_ms=… p99_ms=… req_per_s=… lead_p50_ms=… lead_p99_ms=… lead_req_per_s=… baseline_p99_ms=… baseline_req_per_s=… sweep_s=…
 * (p50/p99/req_per_s: the hot list). Goal: p99 ≤ 50 ms for the hot list.
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createClickHouse, migrate, quoteIdentifier, serverExecutor, sql } from '@leadscore/clickhouse';
import { loadConfigOrExit } from '@leadscore/config';
import { seedSyntheticLeads } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { createRanking } from '@leadscore/api/src/ranking.ts';
import { benchNamespace, fmt, freePort, progress, startService } from './lib.ts';

const { values: args } = parseArgs({
  options: {
    leads: { type: 'string', default: '100000' },
    requests: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '10' },
  },
});
const leads = Number(args.leads);
const requests = Number(args.requests);
const connections = Number(args.connections);
const config = loadConfigOrExit('bench:api');
const ns = benchNamespace('api');
const redis = createRedis(config.redis.url, { connectionName: 'bench-api' });
const clickhouse = createClickHouse({ ...config.clickhouse, requestTimeoutMs: 600_000 });
const TOKEN = 'bench_api_token_0123456789';
const DAY = 86_400_000;
const now = Date.now();

async function seed(): Promise<void> {
  await seedSyntheticLeads(redis, ns, { leads, now, rules: parseRules(defaultRules), onProgress: (done) => done % 20_000 === 0 && progress(`  portraits: ${fmt(done)} of ${fmt(leads)}`) });
  const exec = serverExecutor(clickhouse);
  await migrate(exec, { database: ns });
  await exec.command(`INSERT INTO ${quoteIdentifier(ns).text}.events (message_id, type, event, user_id, timestamp, received_at, path)
SELECT concat('m', toString(number)), 'page', 'Pricing', concat('b', toString(intDiv(number, 5))), toDateTime(${Math.floor(now / 1000)} - number % 2000000, 'UTC'), now(), '/pricing'
FROM numbers(${leads * 5})`);
}

async function load(url: string, title: string, path: () => string): Promise<autocannon.Result> {
  progress(`${title}: ${requests} requests over ${connections} connections`);
  const result = (await autocannon({
    url,
    connections,
    amount: requests,
    headers: { authorization: `Bearer ${TOKEN}` },
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, path: path() }) }],
    timeout: 30,
  } as unknown as autocannon.Options)) as autocannon.Result;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${title}: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return result;
}

try {
  progress(`seeding ${fmt(leads)} portraits and ${fmt(leads * 5)} events into ${ns}`);
  await seed();
  const ranking = createRanking({ redis, namespace: ns, rules: () => parseRules(defaultRules), everyMs: 30_000 });
  const sweep = await ranking.sweep(now);
  if (!sweep.swept) throw new Error('the ranking sweep did not run');
  progress(`ranking sweep: ${fmt(sweep.leads)} leads in ${(sweep.ms / 1000).toFixed(1)} s`);
  const port = await freePort();
  // A long sweep interval: the benchmark measures reads of the ranking the sweep above wrote.
  const api = await startService('services/api/src/main.ts', { NAMESPACE: ns, API_PORT: String(port), API_TOKENS: `bench=${TOKEN}/leads:read`, API_RANKING_SWEEP_SECONDS: '3600', LOG_LEVEL: 'warn' }, `http://127.0.0.1:${port}/readyz`);
  try {
    const base = `http://127.0.0.1:${port}`;
    const baseline = await load(base, 'baseline /healthz', () => '/healthz');
    const hot = await load(base, 'GET /leads/hot', () => '/leads/hot?limit=50');
    const lead = await load(base, 'GET /leads/:id', () => `/leads/u:b${Math.floor(Math.random() * leads)}`);
    console.log(`GET /leads/hot (50 a page): p50 ${hot.latency.p50} ms, p99 ${hot.latency.p99} ms, ${Math.round(hot.requests.average)} req/s`);
    console.log(`GET /leads/:id (random of ${fmt(leads)}): p50 ${lead.latency.p50} ms, p99 ${lead.latency.p99} ms, ${Math.round(lead.requests.average)} req/s`);
    console.log(`baseline GET /healthz on the same server: p50 ${baseline.latency.p50} ms, p99 ${baseline.latency.p99} ms, ${Math.round(baseline.requests.average)} req/s; ranking sweep of ${fmt(sweep.leads)} leads: ${(sweep.ms / 1000).toFixed(1)} s`);
    console.log(
      `leads=${leads} p50_ms=${hot.latency.p50} p99_ms=${hot.latency.p99} req_per_s=${Math.round(hot.requests.average)} lead_p50_ms=${lead.latency.p50} lead_p99_ms=${lead.latency.p99} lead_req_per_s=${Math.round(lead.requests.average)} baseline_p99_ms=${baseline.latency.p99} baseline_req_per_s=${Math.round(baseline.requests.average)} sweep_s=${(sweep.ms / 1000).toFixed(1)}`,
    );
  } finally {
    await api.stop();
  }
} finally {
  await clickhouse.command({ query: sql`DROP DATABASE IF EXISTS ${quoteIdentifier(ns)}` });
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
  await redis.quit();
  await clickhouse.close();
}
