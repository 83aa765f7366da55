/**
 * Replays of stored events through the live scoring path, from the command line:
 *   pnpm backtest [--rules <file>] [--against <file>|in-force] --from <ISO> --to <ISO> [--warmup 14d] [--horizon 30d]
 *                 [--conversion "Opportunity Created"]… [--no-daily] [--json <file>|-]
 *   pnpm rescore [--rules <file>] [--lead <id>… | --company <id>… | --from <ISO>] [--restart]
 *                 every portrait (or the chosen ones: leads, companies with their members, whoever had events
 *                 received since a time) rebuilt in place while ingestion goes on; a stopped one resumes when run again
 *   pnpm rescore --dry-run [--rules <file>] [--lead <id>]…   what it would change, lead by lead
 * config → logger → Redis, ClickHouse (migrate) → rules files → backtest each (backtest.ts), or rebuild every portrait
 * into a scratch namespace and compare (rescore.ts) → a table on stdout, JSON for tools; progress on stderr.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createClickHouse, migrate, serverExecutor } from '@leadscore/clickhouse';
import { EXIT_CONFIG, loadConfigOrExit } from '@leadscore/config';
import { scoringSettingsOf } from '@leadscore/ingest/src/scoring-path.ts';
import { createLogger } from '@leadscore/log';
import { createRedis } from '@leadscore/redis';
import { readRulesFile } from '@leadscore/rules-source';
import { defaultRules, parseDuration, parseRules, type Rules } from '@leadscore/scoring';
import { backtest, type BacktestReport } from './backtest.ts';
import { reportText } from './report-text.ts';
import { isChoice, type Choice } from './choice.ts';
import { checkPortraits, rescoreInPlace } from './rescore.ts';
import { RescoreBusy, RescoreMismatch } from './rescore-run.ts';
import { topicPosition } from './topic-position.ts';
import { ALERTS_QUEUE, alertsQueuePrefix } from '@leadscore/events';
import { createKafka, topicNames } from '@leadscore/kafka';
import { Queue } from 'bullmq';

const [command, ...rest] = process.argv.slice(2);
/** A progress line on stderr, rewritten in place at most once a second. */
function progressLine() {
  const began = performance.now();
  let shown = -1;
  return (text: string) => {
    const seconds = (performance.now() - began) / 1000;
    if (seconds - shown < 1) return;
    shown = seconds;
    process.stderr.write(`\r  ${text} (${seconds.toFixed(0)} s)   `);
  };
}
const perSecond = (done: number, seconds: number) => `${done.toLocaleString('en-US')} events, ${Math.round(done / Math.max(seconds, 0.001)).toLocaleString('en-US')} events/s`;

const fail = (message: string, code = 2): never => {
  process.stderr.write(`${command ?? 'replay'}: ${message}\n`);
  process.exit(code);
};
if (command !== 'backtest' && command !== 'rescore') fail('usage: main.ts backtest [--rules <file>] --from <ISO> --to <ISO> | rescore --dry-run (see the file\'s header)');

const { values: args } = parseArgs({
  args: rest,
  options: {
    rules: { type: 'string' },
    against: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    warmup: { type: 'string', default: '0d' },
    horizon: { type: 'string', default: '30d' },
    conversion: { type: 'string', multiple: true, default: [] },
    'no-daily': { type: 'boolean', default: false },
    json: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    lead: { type: 'string', multiple: true },
    company: { type: 'string', multiple: true },
    restart: { type: 'boolean', default: false },
  },
});
const time = (flag: 'from' | 'to') => {
  const ms = Date.parse(args[flag] ?? '');
  return Number.isNaN(ms) ? fail(`--${flag} ${JSON.stringify(args[flag] ?? '')} is not a time (expected ISO 8601, e.g. 2026-11-01T00:00:00Z)`) : ms;
};
const duration = (flag: 'warmup' | 'horizon') => {
  try {
    return parseDuration(args[flag] as string);
  } catch (err) {
    return fail(`--${flag}: ${(err as Error).message}`);
  }
};
const config = loadConfigOrExit(command as string);
/** A rules file; without one, the rules in force (RULES_FILE, else the built-in defaults). */
const rulesOf = (path: string | undefined): Rules => {
  try {
    if (!path) return config.ingest.rulesFile ? readRulesFile(config.ingest.rulesFile, config.money) : parseRules(defaultRules, { money: config.money });
    return readRulesFile(path, config.money);
  } catch (err) {
    return fail((err as Error).message, EXIT_CONFIG);
  }
};
// --against in-force: the rules in force, the usual question ("what would this change do?").
if (command === 'rescore') await rescoreCommand();

// --- backtest -----------------------------------------------------------------------------------------------------
const candidates = [...(args.against ? [rulesOf(args.against === 'in-force' ? undefined : args.against)] : []), rulesOf(args.rules)];
const [fromMs, toMs] = [time('from'), time('to')];
if (toMs <= fromMs) fail('--to must be after --from');

// The scoring path logs each alert it releases at info: a replay's would bury the report, so warnings only.
const log = createLogger({ service: 'backtest', level: 'warn', namespace: config.namespace });
const redis = createRedis(config.redis.url, { connectionName: 'backtest' });
const clickhouse = createClickHouse({ ...config.clickhouse, requestTimeoutMs: 3_600_000 });
await migrate(serverExecutor(clickhouse), config.clickhouse);
const reports: BacktestReport[] = [];
try {
  for (const rules of candidates) {
    process.stderr.write(`backtesting ${rules.version}…\n`);
    const progress = progressLine();
    reports.push(
      await backtest(
        {
          redis,
          clickhouse,
          database: config.clickhouse.database,
          settings: scoringSettingsOf(config),
          log,
          onProgress: (done, seconds) => progress(perSecond(done, seconds)),
        },
        { rules, fromMs, toMs, warmupMs: duration('warmup'), horizonMs: duration('horizon'), conversionEvents: args.conversion ?? [], daily: !args['no-daily'] },
      ),
    );
    process.stderr.write('\n');
  }
} finally {
  redis.disconnect();
  await clickhouse.close();
}
process.stdout.write(reportText(reports));
if (args.json) {
  const json = `${JSON.stringify(reports.length === 1 ? reports[0] : { base: reports[0], candidate: reports[1] }, null, 2)}\n`;
  if (args.json === '-') process.stdout.write(json);
  else writeFileSync(args.json, json);
}

/**
 * `rescore`: every portrait rebuilt in place from the stored events with the rules given, while the ingest workers
 * go on (rescore.ts: cutover, swap, catch-up); `--dry-run`: what it would change, lead by lead, touching nothing.
 */
async function rescoreCommand(): Promise<never> {
  const rules = rulesOf(args.rules);
  if (!args['dry-run']) {
    const choice: Choice = { ...(args.lead?.length ? { leads: args.lead } : {}), ...(args.company?.length ? { companies: args.company } : {}), ...(args.from ? { since: time('from') } : {}) };
    await rescoreLive(rules, choice);
    process.exit(0);
  }
  const redis = createRedis(config.redis.url, { connectionName: 'rescore' });
  const clickhouse = createClickHouse({ ...config.clickhouse, requestTimeoutMs: 3_600_000 });
  await migrate(serverExecutor(clickhouse), config.clickhouse);
  const progress = progressLine();
  try {
    const check = await checkPortraits(
      {
        redis,
        clickhouse,
        database: config.clickhouse.database,
        settings: scoringSettingsOf(config),
        log: createLogger({ service: 'rescore', level: 'warn', namespace: config.namespace }),
        onProgress: (done, seconds) => progress(`${perSecond(done, seconds)} rebuilt`),
      },
      { rules, now: Date.now(), ...(args.lead && args.lead.length > 0 ? { leads: args.lead } : {}) },
    );
    process.stderr.write('\n');
    process.stdout.write(`rescore (dry run) with ${rules.version}: ${check.events.toLocaleString('en-US')} events rebuilt in ${check.seconds.toFixed(1)} s\n`);
    process.stdout.write(`leads compared ${check.leads}, the same ${check.identical}, different ${check.differingCount}\n`);
    for (const d of check.differing) process.stdout.write(`  ${d.lead}: ${d.fields.join(', ')}\n`);
    if (args.json) {
      const json = `${JSON.stringify(check, null, 2)}\n`;
      if (args.json === '-') process.stdout.write(json);
      else writeFileSync(args.json, json);
    }
  } finally {
    redis.disconnect();
    await clickhouse.close();
  }
  process.exit(0);
}

async function rescoreLive(rules: Rules, choice: Choice): Promise<void> {
  const redis = createRedis(config.redis.url, { connectionName: 'rescore' });
  const clickhouse = createClickHouse({ ...config.clickhouse, requestTimeoutMs: 3_600_000 });
  await migrate(serverExecutor(clickhouse), config.clickhouse);
  const log = createLogger({ service: 'rescore', level: 'warn', namespace: config.namespace });
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-rescore` }, log);
  const admin = kafka.admin();
  await admin.connect();
  const queue = new Queue(ALERTS_QUEUE, { connection: createRedis(config.redis.url, { connectionName: 'rescore-alerts' }), prefix: alertsQueuePrefix(config.namespace) });
  const progress = progressLine();
  const began = performance.now();
  try {
    const r = await rescoreInPlace(
      {
        redis,
        clickhouse,
        database: config.clickhouse.database,
        settings: scoringSettingsOf(config),
        log,
        topic: topicPosition(admin, `${config.namespace}.ingest`, topicNames(config.namespace).events),
        alerts: queue,
        onProgress: (stage, done, total) => {
          const seconds = (performance.now() - began) / 1000;
          progress(total === undefined ? `${stage} ${done.toLocaleString('en-US')}` : `${stage} ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} events, ${Math.round(done / Math.max(seconds, 0.001)).toLocaleString('en-US')} events/s`);
        },
      },
      { rules, ...(isChoice(choice) ? { choose: choice } : {}), restart: args.restart ?? false },
    );
    process.stderr.write('\n');
    const count = (n: number, one: string) => `${n.toLocaleString('en-US')} ${one}${n === 1 ? '' : 's'}`;
    const what = r.chosen ? `${count(r.chosen.leads.length, 'lead')} (${count(r.chosen.profiles, 'profile')}, ${count(r.chosen.emails, 'email')}) and ${count(r.chosen.companies.length, 'company').replace(/ys$/, 'ies')}` : 'every portrait';
    process.stdout.write(
      `rescore of ${what} with ${rules.version}${r.resumedFrom ? ` (resumed at its ${r.resumedFrom} stage)` : ''}: cutover at offsets ${JSON.stringify(r.cutover)}; ${r.replayed.toLocaleString('en-US')} events replayed, ${r.keys.toLocaleString('en-US')} keys swapped in, ${r.caughtUp.toLocaleString('en-US')} later events applied again; ${r.markedOnly} past firings marked, ${r.sentNow} fresh ones sent (once each); ${r.seconds.toFixed(1)} s\n`,
    );
    if (r.chosen && r.chosen.leads.length <= 20) process.stdout.write(`  leads: ${r.chosen.leads.join(', ')}\n`);
  } catch (err) {
    if (err instanceof RescoreMismatch || err instanceof RescoreBusy) fail(err.message, 1);
    throw err;
  } finally {
    await queue.close();
    await admin.disconnect();
    redis.disconnect();
    await clickhouse.close();
  }
}
