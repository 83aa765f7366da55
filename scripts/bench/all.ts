/**
 * `pnpm bench`: every part's benchmark in one run — bench:collector, bench:ingest (1 and 2 workers, beside a bare
 * kafkajs consumer, redis-benchmark's EVALSHA of a trivial script and the lean reference pipeline, then paced live
 * traffic at 10, 300 and 3000 events/s), bench:alerts and bench:rollups (the analysts'
 * lead rollup of 1 million events beside a plain scan of them) — one after the other, each in a
 * process of its own as `pnpm bench:<part>` would run it, so a part's figures are the same as when run alone. Their
 * progress goes to stderr as it happens; their figures go to stdout as each ends, followed by a summary table and one
 * line of every part's `key=value` figures.
 *
 * Sized to finish in under 5 minutes on 2 cores shared with the services: the ingest backlog is the part that grows.
 *
 * Options: --events N (bench:ingest's backlog, default 100000 as bench:ingest's own), --workers LIST (bench:ingest's
 *          worker counts, default 1,2), --paced-seconds S (each of bench:ingest's paces, default 10, half its own:
 *          the whole run stays under 5 minutes), --quick (a short run to see that everything works: smaller backlog,
 *          paces of 3 s, fewer requests and jobs; its figures are noisier), --part-timeout S (a part still running
 *          after S seconds is stopped and counts as failed, default 600).
 * Exits non-zero, naming the part, if any part fails; the others still run.
 * Last line: bench:ingest's last line (events_per_s=… baseline_events_per_s=… ratio=… p50_ms=… p99_ms=…
 * alert_p50_ms=… alert_p99_ms=… workers=… clickhouse_inserts_per_s=… merge_amplification=…
 * clickhouse_inserts_per_s_10=… merge_amplification_10=… clickhouse_inserts_per_s_300=… merge_amplification_300=…
 * clickhouse_inserts_per_s_3000=… merge_amplification_3000=… lean_events_per_s=… ratio_lean=…
 * redis_evalsha_per_s=… ratio_redis=… events_per_s_2_workers=… speedup_2_workers=… redis_roundtrips_per_event=…
 * clickhouse_inserts_per_batch=…; the latencies at 300 events/s, clickhouse_inserts_per_s (the worst table's, per
 * worker) and merge_amplification the worst over the paces), then bench:collector's keys prefixed `collector_`,
 * bench:alerts's prefixed `alerts_`, bench:rollups's prefixed `rollups_`, and wall_s=… (the whole run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ROOT, processTree, progress } from './lib.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string' },
    workers: { type: 'string', default: '1,2' },
    'paced-seconds': { type: 'string' },
    quick: { type: 'boolean', default: false },
    'part-timeout': { type: 'string', default: '600' },
  },
});
const quick = args.quick;
const events = args.events ?? (quick ? '20000' : '100000');
const pacedSeconds = args['paced-seconds'] ?? (quick ? '3' : '10');
const partTimeoutSeconds = Number(args['part-timeout']);
for (const [name, value] of Object.entries({ events, 'paced-seconds': pacedSeconds, 'part-timeout': args['part-timeout'] })) {
  if (!Number.isFinite(Number(value)) || Number(value) <= 0) throw new Error(`--${name} must be a positive number (got ${value})`);
}

interface Part {
  /** As in package.json, and as the failure names it. */
  readonly name: string;
  readonly script: string;
  readonly args: readonly string[];
  /** Put before the part's keys in the combined last line; bench:ingest's go first and unprefixed. */
  readonly prefix: string;
}

/** In the issue's order. --quick shrinks each part to a few seconds of work; the shapes of the output stay. */
const PARTS: readonly Part[] = [
  { name: 'bench:collector', script: 'scripts/bench/collector.ts', args: quick ? ['--batches', '200', '--tracks', '4000'] : [], prefix: 'collector_' },
  {
    name: 'bench:ingest',
    script: 'scripts/bench/ingest.ts',
    args: ['--events', events, '--workers', args.workers, '--paced-seconds', pacedSeconds, ...(quick ? ['--redis-requests', '100000'] : [])],
    prefix: '',
  },
  { name: 'bench:alerts', script: 'scripts/bench/alerts.ts', args: quick ? ['--jobs', '500', '--paced-jobs', '100', '--trace-jobs', '100', '--e2e-seconds', '5'] : [], prefix: 'alerts_' },
  { name: 'bench:rollups', script: 'scripts/bench/rollups.ts', args: quick ? ['--events', '100000', '--leads', '10000', '--runs', '1'] : [], prefix: 'rollups_' },
];

interface PartResult {
  readonly part: Part;
  readonly seconds: number;
  readonly stdout: string;
  /** The part's last `key=value` line, in order; absent when it failed. */
  readonly figures?: Map<string, string>;
  readonly failure?: string;
}

/** The last line made only of `key=value` fields, in order. */
function lastKeyValues(stdout: string): Map<string, string> | undefined {
  const lines = stdout.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  for (const line of lines.reverse()) {
    const fields = line.split(/\s+/);
    if (fields.every((f) => /^[a-z][a-z0-9_]*=\S+$/i.test(f))) return new Map(fields.map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]));
  }
  return undefined;
}

let current: ChildProcess | undefined;
let stopping: NodeJS.Signals | undefined;

/** SIGKILL to the part's whole tree: tsx runs the script in a child process of its own. */
function killTree(child: ChildProcess): void {
  if (child.pid === undefined) return;
  for (const pid of processTree(child.pid).reverse()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/**
 * Runs one part to its end: stderr straight through (its progress), stdout kept for its figures. A part past the
 * timeout gets SIGTERM, so that it cleans up what it made, and SIGKILL 30 s later.
 */
function runPart(part: Part): Promise<PartResult> {
  const started = performance.now();
  progress(`${part.name}: tsx ${part.script}${part.args.length > 0 ? ` ${part.args.join(' ')}` : ''}`);
  return new Promise((resolve) => {
    const child = spawn(`${ROOT}node_modules/.bin/tsx`, [part.script, ...part.args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    current = child;
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      progress(`${part.name}: still running after ${partTimeoutSeconds} s, stopping it`);
      child.kill('SIGTERM');
      killer = setTimeout(() => killTree(child), 30_000);
    }, partTimeoutSeconds * 1000);
    let settled = false;
    const finish = (failure: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killer);
      current = undefined;
      const seconds = (performance.now() - started) / 1000;
      const figures = failure === undefined ? lastKeyValues(stdout) : undefined;
      const why = failure ?? (figures ? undefined : 'printed no key=value line');
      progress(`${part.name}: ${why ? `FAILED (${why})` : 'done'} after ${seconds.toFixed(1)} s`);
      resolve({ part, seconds, stdout, ...(figures && !why ? { figures } : {}), ...(why ? { failure: why } : {}) });
    };
    child.once('error', (err) => finish(`could not start: ${err.message}`));
    child.once('close', (code, signal) => {
      if (timedOut) finish(`timed out after ${partTimeoutSeconds} s`);
      else if (stopping) finish(`stopped by ${stopping}`);
      else if (code !== 0) finish(signal ? `killed by ${signal}` : `exit code ${code}`);
      else finish(undefined);
    });
  });
}

// Ctrl-C reaches the running part too (one process group); a signal sent to this process alone is passed on. Either
// way the part cleans up what it made before this process ends.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = signal;
    progress(`${signal}: stopping${current ? ', waiting for the running part to clean up' : ''}`);
    if (current) current.kill(signal);
    else process.exit(130);
  });
}

// --- the summary ------------------------------------------------------------------------------------------------------

type Row = readonly [part: string, measured: string, baseline: string, ratio: string, seconds: string];

/** What each part's keys say, one row per comparison; a failed part gets one row saying so. */
function rows(result: PartResult): Row[] {
  const f = result.figures;
  const secs = result.seconds.toFixed(1);
  if (!f) return [[result.part.name, `FAILED: ${result.failure ?? '?'}`, '', '', secs]];
  const v = (key: string) => f.get(key) ?? '?';
  switch (result.part.name) {
    case 'bench:collector':
      return [[result.part.name, `${v('events_per_s')} events/s via /v1/batch, ${v('track_req_per_s')} req/s via /v1/track`, `bare kafkajs producer ${v('baseline_events_per_s')} events/s`, v('ratio'), secs]];
    case 'bench:ingest': {
      const workers = Number(v('workers'));
      const one = `${workers} worker${workers === 1 ? '' : 's'}`;
      const scaleOut = [...f.keys()]
        .map((key) => /^events_per_s_(\d+)_workers$/.exec(key)?.[1])
        .filter((n): n is string => n !== undefined)
        .map((n): Row => ['  scale-out', `${n} workers ${v(`events_per_s_${n}_workers`)} events/s`, `${one} ${v('events_per_s')} events/s`, `${v(`speedup_${n}_workers`)}×`, '']);
      // The paces as bench:ingest ran them, from their keys: clickhouse_inserts_per_s_<pace>.
      const paces = [...f.keys()].map((key) => /^clickhouse_inserts_per_s_(\d+)$/.exec(key)?.[1]).filter((n): n is string => n !== undefined);
      const perPace = (prefix: string) => paces.map((n) => `${n}/s: ${v(`${prefix}_${n}`)}`).join(', ');
      return [
        [result.part.name, `${v('events_per_s')} events/s end to end (${one})`, `bare kafkajs consumer ${v('baseline_events_per_s')} events/s`, v('ratio'), secs],
        ...(f.has('lean_events_per_s') ? [['  vs lean', `${v('events_per_s')} events/s (${one})`, `lean reference pipeline ${v('lean_events_per_s')} events/s`, v('ratio_lean'), ''] as const] : []),
        ...(f.has('redis_evalsha_per_s') ? [['  vs Redis', `${v('events_per_s')} events/s (${one})`, `redis-benchmark EVALSHA ${v('redis_evalsha_per_s')} calls/s`, v('ratio_redis'), ''] as const] : []),
        ...scaleOut,
        ['  per event', `${v('redis_roundtrips_per_event')} Redis round trips/event, ${v('clickhouse_inserts_per_batch')} ClickHouse inserts/batch`, '', '', ''],
        ['  live, 300/s', `produce → portrait p50 ${v('p50_ms')} ms, p99 ${v('p99_ms')} ms; → alert enqueued p50 ${v('alert_p50_ms')} ms, p99 ${v('alert_p99_ms')} ms`, 'goals: p99 ≤ 100 ms, alert p99 ≤ 200 ms', '', ''],
        ['  live inserts', `worst table ${v('clickhouse_inserts_per_s')}/s per worker (${perPace('clickhouse_inserts_per_s')})`, 'goal: ≤ 2/s at every pace', '', ''],
        ['  live merges', `rows merged ÷ inserted ${v('merge_amplification')} at worst (${perPace('merge_amplification')})`, 'goal: ≤ 10 at every pace', '', ''],
      ];
    }
    case 'bench:alerts':
      return [
        [result.part.name, `${v('deliveries_per_s')} deliveries/s, enqueue → receipt p99 ${v('p99_ms')} ms (a burst)`, `bare loop of signed POSTs ${v('baseline_per_s')}/s`, v('ratio'), secs],
        ['  end to end', `triggering event's produce → signed webhook p50 ${v('e2e_p50_ms')} ms, p99 ${v('e2e_p99_ms')} ms`, 'goal: p99 ≤ 250 ms', '', ''],
      ];
    case 'bench:rollups':
      return [
        [result.part.name, `lead rollup of ${v('events')} events, ${v('leads')} leads: ${v('rollup_s')} s`, `plain scan of the resolved events ${v('scan_s')} s`, `${v('ratio')}×`, secs],
        ['  raw rows', '', `the scan without deduplication ${v('scan_raw_s')} s`, `${v('ratio_raw')}×`, ''],
      ];
    default:
      return [[result.part.name, [...f].map(([k, x]) => `${k}=${x}`).join(' '), '', '', secs]];
  }
}

function table(all: readonly Row[]): string {
  const header: Row = ['part', 'measured', 'baseline (same run)', 'ratio', 'seconds'];
  const widths = header.map((_, i) => Math.max(...[header, ...all].map((r) => (r[i] as string).length)));
  const line = (r: Row) => r.map((cell, i) => (i >= 3 ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...all.map(line)].join('\n');
}

/** bench:ingest's line first (its keys lead, unprefixed), then the other parts' keys under their prefixes. */
function combinedLine(results: readonly PartResult[], wallSeconds: number): string {
  const ordered = [...results].sort((a, b) => Number(b.part.prefix === '') - Number(a.part.prefix === ''));
  const fields = ordered.flatMap((r) => [...(r.figures ?? [])].map(([k, v]) => `${r.part.prefix}${k}=${v}`));
  return [...fields, `wall_s=${wallSeconds.toFixed(1)}`].join(' ');
}

// --- the run ------------------------------------------------------------------------------------------------------------

const started = performance.now();
const results: PartResult[] = [];
for (const [i, part] of PARTS.entries()) {
  if (stopping) break;
  progress(`--- part ${i + 1} of ${PARTS.length}`);
  const result = await runPart(part);
  results.push(result);
  process.stdout.write(`== ${part.name} (${result.seconds.toFixed(1)} s${result.failure ? `, FAILED: ${result.failure}` : ''}) ==\n${result.stdout}${result.stdout.endsWith('\n') || result.stdout === '' ? '' : '\n'}`);
}
if (stopping) process.exit(130);

const wallSeconds = (performance.now() - started) / 1000;
const failed = results.filter((r) => r.failure !== undefined);
process.stdout.write(`== summary (${wallSeconds.toFixed(1)} s in all) ==\n${table(results.flatMap(rows))}\n`);
if (wallSeconds > 300) progress(`warning: the run took ${wallSeconds.toFixed(0)} s, more than the 5 minutes it is sized for (a busy machine, or use a smaller --events)`);
if (failed.length > 0) {
  process.exitCode = 1;
  process.stderr.write(`bench failed: ${failed.map((r) => `${r.part.name} (${r.failure})`).join(', ')}\n`);
} else {
  process.stdout.write(`${combinedLine(results, wallSeconds)}\n`);
}
