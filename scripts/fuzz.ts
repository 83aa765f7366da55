/**
 * `pnpm fuzz`: a seeded, bounded fuzz run of hostile input over the collector's routes and the ingest worker's
 * decoder, on the real services (scripts/services.sh up), in a namespace of its own that is removed at the end, even
 * on failure. What a case is, what is counted and what fails the run: scripts/fuzz-run.ts.
 *
 * Options: --cases N (default 100000), --seed S (default 20251202, printed), --concurrency C (requests in flight,
 *          default 16), --from I (first case index, default 0: `--from 123 --cases 1` runs case 123 alone),
 *          --show I (prints case I of the seed, request and bytes, and exits: for bug reports; needs no services).
 * Progress goes to stderr, at most once a second; stdout gets the figures and one last line:
 *   cases=… accepted=… rejected=… dead_lettered=… crashes=0 stalls=0 polluted=0 lost=0 seed=… seconds=…
 * Exit status 0 only when crashes, stalls, polluted and lost are all 0.
 */
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@leadscore/config';
import { progress } from './bench/lib.ts';
import { DEFAULT_SEED, describeCase, describeReport, runFuzz } from './fuzz-run.ts';

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string', default: '100000' },
    seed: { type: 'string', default: String(DEFAULT_SEED) },
    concurrency: { type: 'string', default: '16' },
    from: { type: 'string', default: '0' },
    show: { type: 'string' },
  },
});
const number = (name: string, value: string, min: number) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`fuzz: --${name} must be an integer of at least ${min} (got ${value})\n`);
    process.exit(2);
  }
  return n;
};
const seed = number('seed', args.seed, -(2 ** 31));
if (args.show !== undefined) {
  process.stdout.write(`${describeCase(seed, number('show', args.show, 0))}\n`);
  process.exit(0);
}
const cases = number('cases', args.cases, 1);
const concurrency = number('concurrency', args.concurrency, 1);
const from = number('from', args.from, 0);

const config = loadConfigOrExit('fuzz');
const abort = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping; what was sent is checked, then everything is cleaned up`);
    abort.abort();
  });
}

progress(`fuzz: ${cases} cases, seed ${seed}, concurrency ${concurrency}`);
try {
  const report = await runFuzz({
    cases,
    seed,
    concurrency,
    from,
    services: { kafkaBrokers: config.kafka.brokers, redisUrl: config.redis.url, clickhouseUrl: config.clickhouse.url, clickhouseUser: config.clickhouse.user, clickhousePassword: config.clickhouse.password },
    progress,
    signal: abort.signal,
  });
  process.stdout.write(`${describeReport(report).join('\n')}\n${report.line}\n`);
  process.exit(report.crashes === 0 && report.stalls === 0 && report.polluted === 0 && report.lost === 0 ? 0 : 1);
} catch (err) {
  process.stderr.write(`fuzz: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}
