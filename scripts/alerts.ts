/**
 * `pnpm alerts:failed` lists the hot-lead jobs kept as failed after their last attempt, with the reason;
 * `pnpm alerts:redeliver <job id>… | --all` sends them again (channels that already got one are skipped by the
 * service's delivered keys, so nobody gets a second copy).
 */
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { loadConfigOrExit } from '@leadscore/config';
import { createRedis } from '@leadscore/redis';
import { ALERTS_QUEUE, alertsQueuePrefix } from '@leadscore/events';

const [command, ...rest] = process.argv.slice(2);
const { values: args, positionals } = parseArgs({ args: rest, options: { all: { type: 'boolean', default: false } }, allowPositionals: true });
if (command !== 'failed' && command !== 'redeliver') {
  process.stderr.write('usage: pnpm alerts:failed | pnpm alerts:redeliver <job id>… | --all\n');
  process.exit(2);
}
if (command === 'redeliver' && !args.all && positionals.length === 0) {
  process.stderr.write('alerts:redeliver: name the job ids to send again (see pnpm alerts:failed), or --all\n');
  process.exit(2);
}

const config = loadConfigOrExit('alerts-cli');
const connection = createRedis(config.redis.url, { connectionName: 'alerts-cli' });
const queue = new Queue(ALERTS_QUEUE, { connection, prefix: alertsQueuePrefix(config.namespace) });
try {
  const failed = await queue.getFailed(0, -1);
  if (command === 'failed') {
    for (const job of failed) {
      const d = job.data as { lead?: string; rule?: string; action?: string };
      process.stdout.write(`${job.id}\t${d.lead}\t${d.rule}\tattempts=${job.attemptsMade}\tfailed=${job.finishedOn ? new Date(job.finishedOn).toISOString() : '?'}\t${job.failedReason}\n`);
    }
    process.stdout.write(`failed=${failed.length}\n`);
  } else {
    const wanted = args.all ? failed : failed.filter((j) => positionals.includes(String(j.id)));
    const missing = args.all ? [] : positionals.filter((id) => !failed.some((j) => String(j.id) === id));
    for (const id of missing) process.stderr.write(`alerts:redeliver: no failed job ${id}\n`);
    for (const job of wanted) await job.retry('failed');
    process.stdout.write(`redelivering=${wanted.length}\n`);
    if (missing.length > 0) process.exitCode = 1;
  }
} finally {
  await queue.close();
  await connection.quit();
}
