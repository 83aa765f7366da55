/**
 * `pnpm rollup [--as-of <ISO time>] [--publish-only]`: takes the analysts' snapshot (lead and company RFM, segment,
 * lifecycle stage, ABC class, lifetime-value inputs, how the base moved) as of a reference time, default now, into
 * ClickHouse, writes its verdicts back to the Redis portraits (unless --publish-only), and prints what it counted.
 * Running it again for the same time replaces that snapshot with the same rows. Progress goes to stderr (each step,
 * and the rows ClickHouse has read while a step runs); the summary to stdout. docs/analysts.md explains it all. The
 * rollups worker (services/rollups) takes the same snapshots on a schedule.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { rollupSettingsFromConfig, snapshotName, type RollupSummary, type StepProgress } from '@leadscore/analytics';
import { createClickHouse, migrate, serverExecutor, sql } from '@leadscore/clickhouse';
import { ConfigError, EXIT_CONFIG, loadConfigOrExit } from '@leadscore/config';
import { createLogger } from '@leadscore/log';
import { definePortraitScripts } from '@leadscore/portrait';
import { createRedis } from '@leadscore/redis';
import { takeSnapshot } from '@leadscore/rollups/src/snapshot.ts';
import { connectStageAlerts } from '@leadscore/rollups/src/stage-alerts.ts';
import type { WriteBackResult } from '@leadscore/rollups/src/write-back.ts';

const { values: args } = parseArgs({ options: { 'as-of': { type: 'string' }, 'publish-only': { type: 'boolean', default: false } } });
const config = loadConfigOrExit('rollup');
const log = createLogger({ service: 'rollup', level: config.logLevel, namespace: config.namespace });

function settingsOrExit() {
  try {
    return rollupSettingsFromConfig(config, (path) => readFileSync(path, 'utf8'));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`rollup: ${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }
}

const asOf = args['as-of'] === undefined ? new Date() : new Date(args['as-of']);
if (Number.isNaN(asOf.getTime())) {
  process.stderr.write(`rollup: --as-of ${JSON.stringify(args['as-of'])} is not a time (expected ISO 8601, e.g. 2026-06-30T00:00:00Z)\n`);
  process.exit(2);
}
const settings = settingsOrExit();
const client = createClickHouse({ ...config.clickhouse, requestTimeoutMs: 3_600_000 });
const exec = serverExecutor(client);
const redis = args['publish-only'] ? undefined : createRedis(config.redis.url, { connectionName: 'rollup' });
let stageAlerts: Awaited<ReturnType<typeof connectStageAlerts>> | undefined;
const err = (line: string) => process.stderr.write(`${line}\n`);
const n = (x: number) => x.toLocaleString('en-US');

/** While a step runs, what ClickHouse reports of it: rows read of the rows it expects to read. */
function watch(queryId: string, label: string): () => void {
  const began = performance.now();
  const timer = setInterval(async () => {
    try {
      const [p] = await exec.rows<{ read_rows: string; total_rows_approx: string }>(
        sql`SELECT read_rows, total_rows_approx FROM system.processes WHERE query_id = ${queryId}`,
      );
      const seconds = ((performance.now() - began) / 1000).toFixed(0);
      if (p) err(`  ${label}: ${n(Number(p.read_rows))} of ~${n(Number(p.total_rows_approx))} rows read, ${seconds} s`);
    } catch {
      // progress is best-effort; the step itself reports failures
    }
  }, 2000);
  timer.unref();
  return () => clearInterval(timer);
}

function printSummary(s: RollupSummary, ms: number, written: WriteBackResult | undefined): void {
  const list = (xs: readonly { name: string; leads: number }[]) => xs.map((x) => `${x.name} ${n(x.leads)}`).join(', ') || 'none';
  console.log(`snapshot ${snapshotName(s.asOf)} UTC of ${config.clickhouse.database}, computed in ${(ms / 1000).toFixed(2)} s`);
  console.log(`  leads ${n(s.leads)}, buyers ${n(s.buyers)}, orders counted ${n(s.orders)}, window net revenue ${n(s.revenue)} ${s.reportingCurrency}`);
  console.log(`  companies ${n(s.companies)}, of which bought ${n(s.buyingCompanies)}`);
  console.log(`  lifecycle: ${list(s.stages)}`);
  console.log(`  ABC: ${list(s.classes)}`);
  console.log(`  segments: ${list(s.segments)}`);
  for (const u of s.unrated) console.log(`  left out, no rate for ${u.currency}: ${n(u.orders)} orders, ${n(u.amount)} ${u.currency} (set ROLLUP_RATES)`);
  if (s.anonymousOrders > 0) console.log(`  left out, placed by visitors not linked to a lead: ${n(s.anonymousOrders)} orders`);
  if (s.refundedOrders > 0) console.log(`  refunded in full (not purchases): ${n(s.refundedOrders)} orders`);
  if (s.unmatchedRefunds > 0 || s.unratedRefunds > 0) console.log(`  refunds of unknown orders ${n(s.unmatchedRefunds)}, refunds without a rate ${n(s.unratedRefunds)}`);
  if (written) {
    const w = (c: WriteBackResult['leads']) => `${n(c.applied)} written, ${n(c.same)} unchanged, ${n(c.stale)} newer kept, ${n(c.absent + c.linked)} without a portrait`;
    console.log(`  portraits (${(written.ms / 1000).toFixed(2)} s): leads ${w(written.leads)}; companies ${w(written.companies)}`);
  }
  console.log(`query next: clickhouse-client --user analyst --database ${config.clickhouse.database} --query "SELECT rfm_segment, count() FROM lead_rfm GROUP BY rfm_segment ORDER BY count() DESC"`);
}

try {
  await migrate(exec, config.clickhouse);
  err(`rollup of ${config.clickhouse.database} as of ${snapshotName(asOf)} UTC (days in ${settings.timeZone}, money in ${settings.reportingCurrency})`);
  let stop = () => {};
  const onStep = (p: StepProgress) => {
    stop();
    if (p.ms === undefined) {
      stop = p.queryId ? watch(p.queryId, p.step.name) : () => {};
      return;
    }
    err(`[${p.index + 1}/${p.of}] ${p.step.label}: ${(p.ms / 1000).toFixed(2)} s${p.rows === undefined ? '' : `, ${n(p.rows)} rows`}`);
  };
  const scripts = redis ? definePortraitScripts(redis) : undefined;
  const portraits = redis && scripts ? { redis, scripts, namespace: config.namespace, chunk: config.rollups.writeBackChunk } : undefined;
  // Stage alerts as the rollups worker fires them; a snapshot for a past time alerts nobody.
  stageAlerts = redis && scripts ? await connectStageAlerts(config, { redis, scripts, log }) : undefined;
  const result = await takeSnapshot({ exec, database: config.clickhouse.database, settings, onStep, ...(portraits ? { portraits } : {}), ...(stageAlerts ? { alerts: stageAlerts.alerts } : {}) }, asOf);
  if (result.alerts > 0) console.log(`  stage alerts enqueued for sales: ${result.alerts}`);
  stop();
  printSummary(result.rollup.summary, result.rollup.ms, result.writeBack);
  log.info({ asOf: result.rollup.summary.asOf, leads: result.rollup.summary.leads, buyers: result.rollup.summary.buyers, ms: result.rollup.ms, writeBackMs: result.writeBack?.ms }, 'rollup snapshot published');
} catch (e) {
  log.fatal({ err: e, asOf }, 'rollup failed');
  process.exitCode = 1;
} finally {
  await stageAlerts?.close();
  await client.close();
  await redis?.quit();
}
