/**
 * The product at work, for a newcomer: collector, ingest worker, alerts service and the API with its dashboard
 * running as one process tree on simulated B2B traffic; each hot-lead alert shown as sales get it (and received,
 * signed, by a local webhook); the dashboard's address and a login token printed; a summary at the end. Run by
 * `./scripts/demo.sh` (which installs and starts what is needed).
 *
 *   --companies N   size of the simulated market (default 12)
 *   --seed S        another market (default 42)
 *   --live-events N after the history, N events of today's traffic sent live through /v1/batch as a website
 *                   would (default 300), at --rate events/s (default 100); alerts print as they arrive
 *   --follow        keep the live traffic going until Ctrl-C (watch leads turn hot on the dashboard), then settle
 *                   and print the summary
 *   --clean         remove the demo's topics, Redis keys and ClickHouse database at the end (tests use it)
 * At the end, the analysts' snapshot (RFM grid, lifecycle stages, top A companies) over the market and two years of
 * its customers' billing history, written back to the portraits.
 * Exit status 0 when the leads that became hot are exactly the ones the simulation made hot, and the billing history's
 * customers are in the lifecycle stages it made them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { stringify } from 'yaml';
import { renderText, verifyWebhookSignature, type AlertMessage } from '@leadscore/channels';
import { createClickHouse } from '@leadscore/clickhouse';
import { loadConfig, loadConfigOrExit } from '@leadscore/config';
import { ALERTS_QUEUE, alertsQueuePrefix, userHashOf, type HotLeadJob } from '@leadscore/events';
import { createKafka, topicNames } from '@leadscore/kafka';
import { createLogger } from '@leadscore/log';
import { allLastSeenIndexKeys, isLeadProfile, readCompany, readPortrait } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { defaultRules, parseRules, totalHeat } from '@leadscore/scoring';
import { billingHistory, deliveryOrder, simulate } from '@leadscore/simulator';
import { rollupSettingsFromConfig, snapshotName } from '@leadscore/analytics';
import { serverExecutor } from '@leadscore/clickhouse';
import { definePortraitScripts } from '@leadscore/portrait';
import { takeSnapshot } from '@leadscore/rollups/src/snapshot.ts';
import { INGEST_NODE_ARGS, freePort, startProcess, type RunningProcess } from './bench/lib.ts';

const { values: args } = parseArgs({
  options: {
    companies: { type: 'string', default: '12' },
    seed: { type: 'string', default: '42' },
    'live-events': { type: 'string', default: '300' },
    rate: { type: 'string', default: '100' },
    follow: { type: 'boolean', default: false },
    clean: { type: 'boolean', default: false },
  },
});
const liveEvents = args.follow ? Number.POSITIVE_INFINITY : Number(args['live-events']);
const liveRate = Number(args.rate);
for (const [flag, value] of [['--companies', Number(args.companies)], ['--live-events', liveEvents], ['--rate', liveRate]] as const) {
  if (Number.isNaN(value) || value < 0 || (flag === '--rate' && value === 0)) {
    process.stderr.write(`demo: ${flag} must be a number ≥ ${flag === '--rate' ? '1' : '0'}\n`);
    process.exit(2);
  }
}
const config = loadConfigOrExit('demo');
const out = (line = '') => process.stdout.write(`${line}\n`);
const ns = `demo_${new Date().toISOString().slice(0, 10).replaceAll('-', '')}_${randomBytes(2).toString('hex')}`;
const SECRET = `whsec_demo_${randomBytes(8).toString('hex')}`;
// The market prices CNY at 7 to the USD: money counts in USD (the big-customer tag, the rollups) at this rate unless
// ROLLUP_RATES says otherwise.
const rates = process.env.ROLLUP_RATES || 'CNY=0.143';
const rules = parseRules(defaultRules, { money: loadConfig({ ...process.env, ROLLUP_RATES: rates }).money });

// A local receiver standing in for a CRM: it verifies every signature, and the demo prints what sales would read.
const received: { verified: boolean; message: AlertMessage }[] = [];
const receiverPort = await freePort();
const receiver = createServer((request, response) => {
  let body = '';
  request.on('data', (c) => (body += c));
  request.on('end', () => {
    const verified = verifyWebhookSignature({ header: String(request.headers['x-leadscore-signature'] ?? ''), body, secret: SECRET, now: Date.now() }).ok;
    const message = JSON.parse(body) as AlertMessage;
    received.push({ verified, message });
    const text = renderText(message);
    out(`\n  ALERT ${verified ? '(signature verified)' : '(BAD SIGNATURE)'}  ${text.title}`);
    for (const line of text.lines) out(`    ${line}`);
    response.writeHead(verified ? 200 : 401).end('{}');
  });
});
await new Promise<void>((resolve) => receiver.listen(receiverPort, '127.0.0.1', () => resolve()));

const rulesFile = join(mkdtempSync(join(tmpdir(), 'leadscore-demo-')), 'rules.yaml');
writeFileSync(
  rulesFile,
  stringify({
    ...defaultRules,
    routing: {
      channels: { console: { type: 'log' }, 'demo-crm': { type: 'webhook', url: `http://127.0.0.1:${receiverPort}/hooks/leads`, secretEnv: 'DEMO_WEBHOOK_SECRET' } },
      routes: [],
      default: ['demo-crm', 'console'],
    },
  }),
);

const [collectorPort, ingestPort, alertsPort, apiPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
// The dashboard's login for this run only (the API's tokens are secrets; this one dies with the demo).
const DASHBOARD_TOKEN = `demo_${randomBytes(12).toString('hex')}`;
const IDENTITY_SECRET = randomBytes(24).toString('hex');
const dashboard = `http://127.0.0.1:${apiPort}/dashboard/`;
const env = {
  NAMESPACE: ns,
  ROLLUP_RATES: rates,
  RULES_FILE: rulesFile,
  TIME_ZONE: 'UTC',
  LOG_LEVEL: 'warn',
  COLLECTOR_PORT: String(collectorPort),
  INGEST_METRICS_PORT: String(ingestPort),
  ALERTS_METRICS_PORT: String(alertsPort),
  API_PORT: String(apiPort),
  API_TOKENS: `demo=${DASHBOARD_TOKEN}/admin`,
  // A sweep every 10 s, so decays and stage changes show on the dashboard while one watches.
  API_RANKING_SWEEP_SECONDS: '10',
  ALERTS_REFUSE_PRIVATE_TARGETS: 'false',
  DEMO_WEBHOOK_SECRET: SECRET,
  // The site's key is a browser key (the default): its backend signs a signed-in user's id (context.userHash).
  COLLECTOR_IDENTITY_SECRETS: `web=${IDENTITY_SECRET}`,
};
const children: RunningProcess[] = [];
let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    out('\nstopping the pipeline…');
    await Promise.all(children.map((c) => c.stop()));
    receiver.close();
    if (args.clean) {
      const r = createRedis(config.redis.url, { connectionName: 'demo-clean' });
      for (const pattern of [`${ns}:*`, `{${ns}.alerts}*`]) {
        const keys = await r.keys(pattern);
        for (let i = 0; i < keys.length; i += 500) await r.del(...keys.slice(i, i + 500));
      }
      r.disconnect();
    }
  }
  process.exit(code);
}
// Ctrl-C during live traffic ends the traffic (then the summary); otherwise, or a second time, it stops everything.
let live: { stop: () => void } | undefined;
process.on('SIGINT', () => {
  if (live) {
    live.stop();
    live = undefined;
    return;
  }
  void stopAll(130);
});
process.on('SIGTERM', () => void stopAll(143));

out(`leadscore demo — namespace ${ns} (topics, Redis keys and ClickHouse database of its own)`);
out('starting the collector, an ingest worker, the alerts service and the API with its dashboard…');
try {
  children.push(await startProcess('services/collector/src/main.ts', env, `http://127.0.0.1:${collectorPort}/readyz`));
  children.push(await startProcess('services/ingest/src/main.ts', env, `http://127.0.0.1:${ingestPort}/healthz`, { nodeArgs: INGEST_NODE_ARGS }));
  children.push(await startProcess('services/alerts/src/main.ts', env, `http://127.0.0.1:${alertsPort}/healthz`));
  children.push(await startProcess('services/api/src/main.ts', env, `http://127.0.0.1:${apiPort}/healthz`));
} catch (err) {
  out(`could not start the pipeline: ${(err as Error).message}`);
  await stopAll(1);
}

const now = new Date();
const sim = simulate({ seed: args.seed, now, companies: Number(args.companies), weeks: 4 });
const history = billingHistory({ seed: args.seed, now });
const market = [...sim.messages, ...history.messages].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
const ordered = deliveryOrder(market, 7);
out(`simulated market: ${args.companies} companies, ${sim.messages.length} events over 4 weeks; ${sim.expected.hot.length} leads heat up to now`);
out(`billing history: ${Object.keys(history.expected.stages).length} customers' orders over two years, ${history.messages.length} events`);
out('sending them through the collector (history of any age goes through /v1/import, as a backfill would)…\n');

const importKey = config.collector.importKeys[0]?.key ?? 'dev_import_key';
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `${ns}-demo` }, createLogger({ service: 'demo', level: 'silent', namespace: ns }));
const admin = kafka.admin();
await admin.connect();
async function committed(): Promise<{ done: number; end: number }> {
  const ends = await admin.fetchTopicOffsets(topicNames(ns).events);
  const [group] = await admin.fetchOffsets({ groupId: `${ns}.ingest`, topics: [topicNames(ns).events] });
  const end = ends.reduce((n, p) => n + Number(p.high), 0);
  const done = (group?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  return { done, end };
}
const status = (sent: number) => committed().then(({ done, end }) => process.stderr.write(`\r  sent ${sent}   processed ${done}   lag ${end - done}   alerts received ${received.length}   `));

for (let i = 0; i < ordered.length; i += 200) {
  const res = await fetch(`http://127.0.0.1:${collectorPort}/v1/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${importKey}:`).toString('base64')}` },
    body: JSON.stringify({ batch: ordered.slice(i, i + 200) }),
  });
  if (res.status !== 200) {
    out(`\nthe collector answered ${res.status}: ${await res.text()}`);
    await stopAll(1);
  }
  await status(Math.min(i + 200, ordered.length));
}

const redis = createRedis(config.redis.url, { connectionName: 'demo' });
const queue = new Queue(ALERTS_QUEUE, { connection: createRedis(config.redis.url, { connectionName: 'demo-queue' }), prefix: alertsQueuePrefix(ns) });
/** Everything processed, and no alert waiting or in delivery, four polls in a row. */
async function settle(show: () => Promise<unknown>): Promise<void> {
  for (let quiet = 0, waited = 0; quiet < 4 && waited < 240; waited++) {
    const { done, end } = await committed();
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed');
    const busy = end - done + (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0);
    quiet = busy === 0 ? quiet + 1 : 0;
    await show();
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stderr.write('\n');
}
await settle(() => status(ordered.length));

/**
 * Today's traffic, live: more of the simulated market (new people of the same kinds of companies) with the times
 * left to the collector, sent through /v1/batch with the site's write key. Emails get a `+live<round>` tag so a
 * live visitor never takes over a lead of the history, which keeps the expected hot leads exact.
 */
async function sendLive(): Promise<number> {
  const writeKey = config.collector.writeKeys[0]?.key ?? 'dev_write_key';
  let stopped = false;
  live = { stop: () => (stopped = true) };
  out(`\nlive: ${Number.isFinite(liveEvents) ? liveEvents : 'endless'} events of today's traffic through /v1/batch at ${liveRate}/s${args.follow ? ' (Ctrl-C ends them, then the summary)' : ''}…`);
  let sent = 0;
  let pending: Record<string, unknown>[] = [];
  const started = Date.now();
  for (let round = 0; !stopped && sent < liveEvents; round++) {
    if (pending.length === 0) {
      const today = simulate({ seed: `${args.seed}/live/${round}`, now: new Date(), companies: 2, weeks: 1 }).messages;
      pending = today.map((m) => {
        const { timestamp: _t, originalTimestamp: _o, sentAt: _s, ...rest } = JSON.parse(JSON.stringify(m).replace(/([A-Za-z0-9._%-]+)@((?!leadscore\.)[A-Za-z0-9.-]+\.example)/g, `$1+live${round}@$2`)) as Record<string, unknown>;
        // As the site's page does for a signed-in user: the userHash its backend computed.
        const userId = typeof rest.userId === 'string' ? rest.userId : undefined;
        const context = { ...(rest.context as Record<string, unknown> | undefined), ...(userId ? { userHash: userHashOf(userId, IDENTITY_SECRET) } : {}) };
        return { ...rest, context, messageId: `${String(rest.messageId)}-live` };
      });
    }
    // Paced by the clock: at most what the rate allows by now, in requests of up to 100 events.
    const due = Math.min(liveEvents, Math.floor(((Date.now() - started) / 1000) * liveRate) + 1);
    const batch = pending.splice(0, Math.max(0, Math.min(100, due - sent)));
    if (batch.length > 0) {
      const res = await fetch(`http://127.0.0.1:${collectorPort}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
        body: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
      });
      if (res.status !== 200) throw new Error(`the collector answered ${res.status}: ${await res.text()}`);
      sent += batch.length;
    }
    await status(ordered.length + sent);
    await new Promise((r) => setTimeout(r, 200));
  }
  live = undefined;
  return sent;
}
const alertsBeforeLive = received.length;
out(`\ndashboard: ${dashboard}  (log in with the token ${DASHBOARD_TOKEN}; it lives while the demo runs${args.follow ? '' : ', and --follow keeps it running'})`);
const liveSent = liveEvents > 0 ? await sendLive() : 0;
if (liveSent > 0) await settle(() => status(ordered.length + liveSent));

// --- the summary ------------------------------------------------------------------------------------------------
const leads = new Set<string>();
for (const key of allLastSeenIndexKeys(ns)) for (const lead of await redis.zrange(key, 0, -1)) if (isLeadProfile(lead)) leads.add(lead);
const byTier: Record<string, number> = {};
const byGrade: Record<string, number> = {};
const companies = new Map<string, { heat: number; members: string[] }>();
for (const lead of leads) {
  const p = await readPortrait(redis, ns, lead, rules, now.getTime());
  byTier[p.tier] = (byTier[p.tier] ?? 0) + 1;
  byGrade[p.grade] = (byGrade[p.grade] ?? 0) + 1;
  if (p.company) companies.set(p.company.companyId, { heat: 0, members: p.company.members });
}
for (const [id, entry] of companies) {
  const view = await readCompany(redis, ns, id);
  entry.heat = totalHeat(view.heat, now.getTime());
}
const jobs = (await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])).map((j) => j.data as HotLeadJob);
const hot = [...new Set(jobs.filter((j) => j.rule === 'pricing-streak').map((j) => j.lead))].sort();
const expectedHot = [...sim.expected.hot].sort();
const clickhouse = createClickHouse(config.clickhouse);
const rows = <T>(query: string) => clickhouse.query({ query, format: 'JSONEachRow' }).then((r) => r.json() as Promise<T[]>);
const events = await rows<{ type: string; n: string }>(`SELECT type, count() AS n FROM ${ns}.events FINAL GROUP BY type ORDER BY n DESC`);
const deliveries = await rows<{ channel: string; outcome: string; n: string }>(`SELECT channel, outcome, count() AS n FROM ${ns}.alert_deliveries GROUP BY channel, outcome ORDER BY channel, outcome`);

out('\n== summary');
out(`leads by tier: ${Object.entries(byTier).map(([k, v]) => `${k} ${v}`).join(', ')}`);
out(`leads by fit grade: ${Object.entries(byGrade).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
out('top companies by heat:');
for (const [id, c] of [...companies].sort((a, b) => b[1].heat - a[1].heat).slice(0, 5)) out(`  ${id.padEnd(28)} heat ${c.heat.toFixed(1).padStart(6)}   buying group: ${c.members.join(', ')}`);
const jobStates = await queue.getJobCounts('completed', 'failed', 'delayed', 'waiting', 'active');
out(`alerts: ${jobs.length} fired (${[...new Set(jobs.map((j) => j.rule))].join(', ')}); deliveries by channel: ${deliveries.map((d) => `${d.channel} ${d.outcome} ${d.n}`).join(', ')}; ${received.filter((r) => r.verified).length} received signed by the demo CRM; jobs ${Object.entries(jobStates).filter(([, n]) => n > 0).map(([state, n]) => `${state} ${n}`).join(', ')}`);
out(`hot leads expected ${expectedHot.length}, alerted ${hot.length}: ${JSON.stringify(hot) === JSON.stringify(expectedHot) ? 'the same' : `DIFFERENT (expected ${expectedHot.join(' ')}; got ${hot.join(' ')})`}`);
if (liveSent > 0) out(`live traffic: ${liveSent} events through /v1/batch, ${received.length - alertsBeforeLive} alerts received from it`);
out(`dashboard: ${dashboard} (token ${DASHBOARD_TOKEN})`);
out(`events in ClickHouse: ${events.map((e) => `${e.type} ${e.n}`).join(', ')}`);
out('next, as an analyst:');
out(`  clickhouse-client --port ${process.env.CLICKHOUSE_TCP_PORT ?? 9000} --database ${ns} --query "SELECT type, count() FROM events FINAL GROUP BY type"`);

// --- the analysts' snapshot ----------------------------------------------------------------------------------------
out('\n== the analysts\' snapshot (pnpm rollup; services/rollups takes one on a schedule)');
const settings = rollupSettingsFromConfig(loadConfig({ ...process.env, ROLLUP_RATES: rates }), (path) => readFileSync(path, 'utf8'));
const snapshot = await takeSnapshot({ exec: serverExecutor(clickhouse), database: ns, settings, portraits: { redis, scripts: definePortraitScripts(redis), namespace: ns, chunk: config.rollups.writeBackChunk } }, new Date());
const summary = snapshot.rollup.summary;
out(`snapshot as of ${snapshotName(summary.asOf)} UTC in ${(snapshot.rollup.ms / 1000).toFixed(2)} s, written back to ${snapshot.writeBack?.leads.applied ?? 0} lead and ${snapshot.writeBack?.companies.applied ?? 0} company portraits in ${((snapshot.writeBack?.ms ?? 0) / 1000).toFixed(2)} s`);
out(`  leads ${summary.leads}, buyers ${summary.buyers}, orders ${summary.orders}, window net revenue ${Math.round(summary.revenue).toLocaleString('en-US')} ${summary.reportingCurrency} (rates ${Object.entries(settings.rates).map(([c, r]) => `${c}=${r}`).join(', ')})`);
out(`  lifecycle: ${summary.stages.map((x) => `${x.name} ${x.leads}`).join(', ')}`);
out(`  ABC: ${summary.classes.map((x) => `${x.name} ${x.leads}`).join(', ')}`);
const grid = await rows<{ r: number; f: number; n: string }>(`SELECT r_score AS r, f_score AS f, count() AS n FROM ${ns}.lead_rfm WHERE r_score IS NOT NULL GROUP BY r, f`);
out('  RFM grid, buyers by recency (rows, 5 = most recent) and frequency (columns) score:');
out(`        F1   F2   F3   F4   F5`);
for (const r of [5, 4, 3, 2, 1]) out(`    R${r} ${[1, 2, 3, 4, 5].map((f) => String(grid.find((g) => g.r === r && g.f === f)?.n ?? '·').padStart(4)).join(' ')}`);
const topA = await rows<{ company_id: string; monetary: number; buyers: number; known_leads: number; lifecycle_stage: string; rfm_segment: string | null }>(
  `SELECT company_id, monetary, buyers, known_leads, lifecycle_stage, rfm_segment FROM ${ns}.company_rfm WHERE abc_class = 'A' ORDER BY monetary DESC, company_id LIMIT 5`,
);
out('  top A companies:');
for (const c of topA) out(`    ${c.company_id.padEnd(28)} ${Math.round(c.monetary).toLocaleString('en-US').padStart(10)} ${summary.reportingCurrency}   ${c.buyers}/${c.known_leads} buyers   ${c.lifecycle_stage}, ${c.rfm_segment ?? '-'}`);
const stagesGot = await rows<{ lead_id: string; lifecycle_stage: string }>(`SELECT lead_id, lifecycle_stage FROM ${ns}.lead_rfm`);
const stageOf = new Map(stagesGot.map((x) => [x.lead_id, x.lifecycle_stage]));
const stageMisses = Object.entries(history.expected.stages).filter(([lead, stage]) => stageOf.get(lead) !== stage);
const expectedStages = Object.keys(history.expected.stages).length;
out(`billing history stages expected ${expectedStages}, matched ${expectedStages - stageMisses.length}${stageMisses.length === 0 ? ': the same' : `: DIFFERENT (${stageMisses.map(([lead, stage]) => `${lead} expected ${stage}, got ${stageOf.get(lead) ?? 'none'}`).join('; ')})`}`);
out('next, as an analyst (docs/analysts.md):');
out(`  clickhouse-client --user analyst --database ${ns} --query "SELECT rfm_segment, lifecycle_stage, count() FROM lead_rfm GROUP BY rfm_segment, lifecycle_stage ORDER BY count() DESC"`);

if (args.clean) {
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${ns}` });
  await admin.deleteTopics({ topics: [topicNames(ns).events, topicNames(ns).eventsDeadLetter] }).catch(() => {});
}
await clickhouse.close();
await admin.disconnect();
await queue.close();
redis.disconnect();
const ok = JSON.stringify(hot) === JSON.stringify(expectedHot) && received.every((r) => r.verified) && stageMisses.length === 0;
await stopAll(ok ? 0 : 1);
