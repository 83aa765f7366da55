/**
 * `pnpm bench:rollups [--events N] [--leads N] [--runs N] [--engine server|chdb] [--keep]`: seeds N events for N
 * leads into a ClickHouse database of its own, then times the lead rollup (every step up to the published snapshot
 * and its summary) beside a plain scan of the same resolved events in the same run: each event deduplicated by
 * message id (FINAL), its lead through identity_links as of the same reference time, then events and revenue per lead.
 * The same scan over raw rows (no deduplication: cheaper, and wrong after a repeated insert) is timed too. Runs
 * alternate; the medians are compared. The last line:
 *   events=… leads=… buyers=… rollup_s=… scan_s=… ratio=… scan_raw_s=… ratio_raw=… write_back_s=… write_back_subjects=…
 * (the write-back of the last snapshot to the portraits, timed apart from the rollup).
 *
 * The market: every lead has events/leads events over two years; half of the leads start as anonymous visitors whose
 * first three events are linked to them by an identify; one event of each lead states an email (a quarter free mail),
 * one names its company (a group call); a third are buyers (one or two orders, in USD, EUR and a currency without a
 * rate), 2 % of orders half refunded; 1 % of events are flagged.
 */
import { parseArgs } from 'node:util';
import { createClickHouse, migrate, quoteIdentifier, serverExecutor, sql, type SqlExecutor } from '@leadscore/clickhouse';
import { loadConfigOrExit } from '@leadscore/config';
import { plainScan, rollupSettings, runRollup, type SnapshotTarget } from '@leadscore/analytics';
import { definePortraitScripts } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { writeBack } from '@leadscore/rollups/src/write-back.ts';
import { benchNamespace, fmt, progress } from './lib.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    leads: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    engine: { type: 'string', default: 'server' },
  },
});
const events = Number(args.events);
const leads = Number(args.leads);
const runs = Math.max(1, Number(args.runs));
if (!(events >= leads && leads >= 10)) throw new Error('--events must be at least --leads, and --leads at least 10');

if (args.engine !== 'server' && args.engine !== 'chdb') throw new Error('--engine is server (the ClickHouse of CLICKHOUSE_URL) or chdb (current ClickHouse, embedded)');
const config = loadConfigOrExit('bench:rollups');
const client = createClickHouse({ ...config.clickhouse, requestTimeoutMs: 600_000 });
// chdb: current ClickHouse in this process, behind the same executor, to measure the same SQL on a current engine.
const exec: SqlExecutor & { close?: () => void } = args.engine === 'chdb' ? (await import('@leadscore/clickhouse/chdb')).chdbExecutor() : serverExecutor(client);

const database = benchNamespace('rollups');
const db = quoteIdentifier(database);
const asOf = new Date('2026-11-30T12:00:00Z');
const target: SnapshotTarget = { database, asOf, settings: rollupSettings({ timeZone: 'Asia/Shanghai', rates: { EUR: 1.08 } }) };

async function seed(): Promise<number> {
  await migrate(exec, { database });
  const perLead = Math.floor(events / leads);
  // Event `j` of lead `l`: the first three of even leads come from their visitor; the last of every third lead is an
  // order, and the one before it too for every sixth; times spread over two years up to the reference time.
  const rows = `SELECT number, intDiv(number, ${perLead}) AS l, number % ${perLead} AS j,
      l % 2 = 0 AND j < 3 AS anon, l % 3 = 0 AND (j = ${perLead - 1} OR (l % 6 = 0 AND j = ${perLead - 2})) AS is_order,
      toDateTime(${sql`${'2024-12-01 00:00:00'}`}, 'UTC') + toUInt32(((l * 7919 + j * 104729) % 730) * 86400 + (number % 86400)) AS ts
    FROM numbers(${perLead * leads})`;
  await exec.command(`INSERT INTO ${db}.events (message_id, type, event, user_id, anonymous_id, group_id, email, timestamp, received_at, flags, order_id, revenue, currency)
SELECT concat('m', toString(number)), if(is_order, 'track', 'page'), if(is_order, 'Order Completed', 'Pricing'),
  if(anon, '', concat('L', toString(l))), if(anon, concat('v', toString(l)), ''), if(j = 4, concat('c', toString(l % 5000)), ''),
  if(j = 3, concat('p', toString(l), if(l % 4 = 0, '@gmail.com', concat('@c', toString(l % 5000), '.example'))), ''), ts, ts,
  if(number % 97 = 0 AND NOT is_order, ['bot'], emptyArrayString()),
  if(is_order, concat('o', toString(number)), ''), if(is_order, toFloat64(number % 997) + 1.5, 0),
  if(is_order, arrayElement(['USD', 'USD', 'USD', 'EUR', 'JPY'], toUInt32((l * 7 + j) % 5) + 1), '')
FROM (${rows})`);
  await exec.command(`INSERT INTO ${db}.events (message_id, type, event, user_id, anonymous_id, timestamp, received_at, order_id, revenue, currency)
SELECT concat('r', message_id), 'track', 'Order Refunded', '', 'backend', timestamp + 86400, timestamp + 86400, order_id, revenue / 2, currency
FROM ${db}.events WHERE event = 'Order Completed' AND cityHash64(order_id) % 50 = 0`);
  await exec.command(`INSERT INTO ${db}.identity_links (profile, lead, reason, message_id, linked_at)
SELECT concat('a:v', toString(l)), concat('u:L', toString(l)), 'identify', '', toDateTime('2024-12-01 00:00:00', 'UTC') + toUInt32(l % 730) * 86400
FROM (SELECT number * 2 AS l FROM numbers(${Math.ceil(leads / 2)}))`);
  // Settle the parts as a live table's would be by merges over time, so no background merge runs during the timing.
  for (const table of ['events', 'identity_links']) await exec.command(`OPTIMIZE TABLE ${db}.${table} FINAL`);
  const [row] = await exec.rows<{ n: string }>(`SELECT count() AS n FROM ${db}.events`);
  return Number(row?.n ?? 0);
}

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const began = performance.now();
  const value = await work();
  return { seconds: (performance.now() - began) / 1000, value };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

try {
  progress(`seeding ${fmt(events)} events for ${fmt(leads)} leads into ${database} on ${await exec.describe()}`);
  const seeded = await timed(seed);
  progress(`seeded ${fmt(seeded.value)} rows in ${seeded.seconds.toFixed(1)} s`);
  const scanTimes: number[] = [];
  const rawTimes: number[] = [];
  const rollupTimes: number[] = [];
  let buyers = 0;
  let resolvedLeads = 0;
  progress('warming up: one scan and one rollup, untimed');
  await exec.rows(`SELECT count() FROM (${plainScan(target)})`);
  await runRollup(exec, target);
  for (let run = 1; run <= runs; run++) {
    const scan = await timed(() => exec.rows<{ leads: string }>(`SELECT count() AS leads, sum(events) AS events FROM (${plainScan(target)})`));
    scanTimes.push(scan.seconds);
    resolvedLeads = Number(scan.value[0]?.leads ?? 0);
    const raw = await timed(() => exec.rows(`SELECT count() AS leads, sum(events) AS events FROM (${plainScan(target, { deduplicated: false })})`));
    rawTimes.push(raw.seconds);
    const rollup = await timed(() =>
      runRollup(exec, target),
    );
    rollupTimes.push(rollup.seconds);
    progress(`  run ${run}/${runs} steps: ${rollup.value.steps.map((st) => `${st.name} ${st.ms.toFixed(0)} ms`).join(', ')}`);
    buyers = rollup.value.summary.buyers;
    progress(`run ${run}/${runs}: scan ${scan.seconds.toFixed(2)} s (raw rows ${raw.seconds.toFixed(2)} s), rollup ${rollup.seconds.toFixed(2)} s (${fmt(rollup.value.summary.leads)} leads, ${fmt(buyers)} buyers)`);
  }
  // The worker's next step, timed apart: the last snapshot's verdicts written to the portraits (none exist in this
  // namespace, so each is checked and skipped: the round trips and script calls, not the writes, are measured).
  const redis = createRedis(config.redis.url, { connectionName: 'bench-rollups' });
  const written = await writeBack({ exec, redis, scripts: definePortraitScripts(redis), namespace: database, chunk: config.rollups.writeBackChunk }, { database, asOf });
  await redis.quit();
  const subjects = Object.values(written.leads).reduce((a, b) => a + b, 0) + Object.values(written.companies).reduce((a, b) => a + b, 0);
  progress(`write-back: ${fmt(subjects)} leads and companies in ${(written.ms / 1000).toFixed(2)} s`);
  const scanS = median(scanTimes);
  const rawS = median(rawTimes);
  const rollupS = median(rollupTimes);
  console.log(`plain scan of the resolved events (${fmt(resolvedLeads)} profiles): median ${scanS.toFixed(2)} s of ${runs}; over raw rows, not deduplicated: ${rawS.toFixed(2)} s`);
  console.log(`rollup (orders, buyers, leads, publish): median ${rollupS.toFixed(2)} s of ${runs}`);
  console.log(`engine: ${await exec.describe()}`);
  console.log(`events=${seeded.value} leads=${leads} buyers=${buyers} rollup_s=${rollupS.toFixed(3)} scan_s=${scanS.toFixed(3)} ratio=${(rollupS / scanS).toFixed(2)} scan_raw_s=${rawS.toFixed(3)} ratio_raw=${(rollupS / rawS).toFixed(2)} write_back_s=${(written.ms / 1000).toFixed(3)} write_back_subjects=${subjects}`);
} finally {
  if (!args.keep) await exec.command(sql`DROP DATABASE IF EXISTS ${db}`);
  exec.close?.();
  await client.close();
}
