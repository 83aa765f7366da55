/**
 * `pnpm bench:backtest [--companies N] [--weeks W]`: a month of the simulator's traffic for about 10,000 leads
 * (2,700 companies by default) written to a namespace's events table as the ingest workers write it, then backtested
 * with the default rules (every event replayed through the live scoring path, each day's tiers and grades read),
 * beside a baseline from the same run: reading and rebuilding the same events from ClickHouse alone. Goal: under a
 * minute. `--now <ISO>` fixes the simulated market (its times hang from now), so runs can be compared by the hashes of
 * their alert keys and daily figures. The last line:
 *   events=… leads=… backtest_s=… events_per_s=… batches=… read_s=… ratio_read=… alerts=… alerts_sha=… days_sha=… goal_s=60
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createClickHouse, migrate, quoteIdentifier, serverExecutor, sql } from '@leadscore/clickhouse';
import { loadConfigOrExit } from '@leadscore/config';
import { intakeMessage } from '@leadscore/events';
import { eventRow, insertedAt } from '@leadscore/ingest/src/rows.ts';
import { scoringSettingsOf } from '@leadscore/ingest/src/scoring-path.ts';
import { createLogger } from '@leadscore/log';
import { createRedis } from '@leadscore/redis';
import { backtest } from '@leadscore/replay/src/backtest.ts';
import { eventsBetween } from '@leadscore/replay/src/event-source.ts';
import { alertKeys } from '@leadscore/replay/src/report.ts';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { simulate } from '@leadscore/simulator';
import { benchNamespace, fmt, progress } from './lib.ts';

const { values: args } = parseArgs({ options: { companies: { type: 'string', default: '2700' }, weeks: { type: 'string', default: '4' }, 'no-daily': { type: 'boolean', default: false }, now: { type: 'string' } } });
const config = loadConfigOrExit('bench:backtest');
const ns = benchNamespace('backtest');
const redis = createRedis(config.redis.url, { connectionName: 'bench-backtest' });
const clickhouse = createClickHouse({ ...config.clickhouse, requestTimeoutMs: 600_000 });
const exec = serverExecutor(clickhouse);
// A fixed --now gives the same simulated market run after run (the simulator's times hang from it).
const now = args.now ? Date.parse(args.now) : Date.now();
const rules = parseRules(defaultRules, { money: { currency: 'USD', rates: { CNY: 0.143 } } });

progress(`simulating ${args.companies} companies over ${args.weeks} weeks`);
const sim = simulate({ seed: 'bench-backtest', now, companies: Number(args.companies), weeks: Number(args.weeks) });
const inserted = insertedAt(now);
const rows = sim.messages.flatMap((m, i) => {
  const r = intakeMessage(m as unknown as Record<string, unknown>, { receivedAt: new Date(Date.parse(m.timestamp as string) + 500), source: { id: 'web', kind: 'segment' }, maxFutureMs: 3_600_000, maxPastMs: null });
  return r.ok ? [eventRow(r.event, { partition: 0, offset: String(i) }, inserted)] : [];
});
const leads = new Set(sim.messages.map((m) => (m as { userId?: string }).userId).filter(Boolean)).size;
progress(`writing ${fmt(rows.length)} events (${fmt(leads)} users) to ${ns}.events`);
await migrate(exec, { database: ns });
for (let i = 0; i < rows.length; i += 50_000) await clickhouse.insert({ table: `${ns}.events`, values: rows.slice(i, i + 50_000), format: 'JSONEachRow' });

const fromMs = rows.reduce((min, r) => Math.min(min, r.timestamp_ms), Number.POSITIVE_INFINITY);
const toMs = now + 1;
const settings = { ...scoringSettingsOf(loadConfigOrExit('bench:backtest')), namespace: ns, timeZone: 'UTC' };
const log = createLogger({ service: 'bench-backtest', level: 'warn', namespace: ns });
try {
  progress('baseline: reading and rebuilding the events from ClickHouse alone');
  let t = performance.now();
  let read = 0;
  for await (const _ of eventsBetween(clickhouse, ns, fromMs, toMs)) read++;
  const readS = (performance.now() - t) / 1000;
  progress(`  ${fmt(read)} events in ${readS.toFixed(2)} s`);
  progress('backtest of the default rules');
  t = performance.now();
  const cpu = process.cpuUsage();
  const report = await backtest(
    { redis, clickhouse, database: ns, settings, log, onProgress: (done, s) => done % 20_000 < 500 && progress(`  ${fmt(done)} events, ${fmt(Math.round(done / s))} events/s`) },
    { rules, fromMs, toMs, warmupMs: 0, horizonMs: 30 * 86_400_000, conversionEvents: [], daily: !args['no-daily'] },
  );
  const backtestS = (performance.now() - t) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  progress(`  this process used ${((user + system) / 1e6).toFixed(1)} s of CPU in ${backtestS.toFixed(1)} s (${Math.round((user + system) / report.events)} µs per event)`);
  progress(`  precision ${(100 * report.effectiveness.precision).toFixed(1)} %, recall ${(100 * report.effectiveness.recall).toFixed(1)} %, lift ${report.effectiveness.lift?.toFixed(1) ?? 'n/a'}, ${report.alerts.list.length} alerts, ${report.days.length} days`);
  console.log(`events=${report.events} leads=${report.effectiveness.leads} backtest_s=${backtestS.toFixed(2)} events_per_s=${Math.round(report.events / backtestS)} batches=${report.batches} read_s=${readS.toFixed(2)} ratio_read=${(readS / backtestS).toFixed(3)} alerts=${report.alerts.list.length} alerts_sha=${createHash('sha1').update(alertKeys(report.alerts.list).join('\n')).digest('hex').slice(0, 12)} days_sha=${createHash('sha1').update(JSON.stringify(report.days)).digest('hex').slice(0, 12)} goal_s=60`);
} finally {
  await clickhouse.command({ query: sql`DROP DATABASE IF EXISTS ${quoteIdentifier(ns)}` });
  await clickhouse.close();
  redis.disconnect();
}
