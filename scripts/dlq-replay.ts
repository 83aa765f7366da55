/**
 * `pnpm dlq:replay [--since 2026-11-01T00:00Z | 6h | 3d] [--reason invalid_message,...] [--dry-run]`
 *
 * After a fix, feeds the dead-letter topic's records back through validation: what passes now goes to the events
 * topic (deduplicated downstream by messageId, so a second replay changes nothing); what fails again stays in the
 * dead-letter topic, where it already is, and is listed with its reason. Reads up to the end the topic had at start.
 * Last line: replayed=… failed=… skipped=…
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { deadLetterSchema, encodeEvent, replayLetter, DEAD_LETTER_REASONS } from '@leadscore/events';
import { loadConfigOrExit } from '@leadscore/config';
import { createKafka, createProducer, topicNames } from '@leadscore/kafka';
import { createLogger } from '@leadscore/log';
import { refuseWithoutIdentity } from '@leadscore/identity';

function usage(message: string): never {
  process.stderr.write(`dlq:replay: ${message}\nusage: pnpm dlq:replay [--since <ISO time | 6h | 3d>] [--reason <r,…>] [--dry-run]\n`);
  process.exit(2);
}

function parseSince(value: string | undefined): number {
  if (value === undefined) return 0;
  const relative = /^(\d+)([mhd])$/.exec(value);
  if (relative) return Date.now() - Number(relative[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd'];
  const at = Date.parse(value);
  if (Number.isNaN(at)) usage(`--since ${value} is neither a time nor a duration such as 6h or 3d`);
  return at;
}

const { values: args } = parseArgs({ options: { since: { type: 'string' }, reason: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } } });
const since = parseSince(args.since);
const reasons = args.reason?.split(',').map((r) => r.trim()).filter(Boolean);
for (const r of reasons ?? []) if (!(DEAD_LETTER_REASONS as readonly string[]).includes(r)) usage(`unknown reason ${r}; one of ${DEAD_LETTER_REASONS.join(', ')}`);

const config = loadConfigOrExit('dlq-replay');
const log = createLogger({ service: 'dlq-replay', level: 'warn', namespace: config.namespace });
const topics = topicNames(config.namespace);
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-dlq-replay` }, log);

const admin = kafka.admin();
await admin.connect();
const ends = new Map((await admin.fetchTopicOffsets(topics.eventsDeadLetter)).map((p) => [p.partition, BigInt(p.high)]));
await admin.disconnect();
const total = [...ends.values()].reduce((n, v) => n + Number(v), 0);
process.stderr.write(`reading ${total} dead letters from ${topics.eventsDeadLetter}\n`);

const producer = createProducer(kafka);
await producer.connect();
const consumer = kafka.consumer({ groupId: `${config.namespace}.dlq-replay.${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 200 });
await consumer.connect();
await consumer.subscribe({ topic: topics.eventsDeadLetter, fromBeginning: true });

let replayed = 0;
let skipped = 0;
const failed = new Map<string, number>();
const finished = new Set([...ends].filter(([, end]) => end === 0n).map(([p]) => p));
await new Promise<void>((resolve, reject) => {
  if (finished.size === ends.size) return resolve();
  consumer
    .run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        const end = ends.get(batch.partition) ?? 0n;
        const toSend = [];
        for (const message of batch.messages) {
          if (BigInt(message.offset) >= end) break;
          resolveOffset(message.offset);
          const parsed = deadLetterSchema.safeParse(JSON.parse(message.value?.toString() ?? 'null'));
          if (!parsed.success || Date.parse(parsed.data.at) < since || (reasons && !reasons.includes(parsed.data.reason))) {
            skipped++;
            continue;
          }
          const result = replayLetter(parsed.data, { maxFutureMs: config.collector.maxFutureMs, maxPastMs: config.collector.maxPastMs, check: refuseWithoutIdentity });
          if (result.ok) {
            toSend.push(encodeEvent(result.event));
          } else {
            failed.set(result.reason, (failed.get(result.reason) ?? 0) + 1);
            process.stderr.write(`still refused: partition ${batch.partition} offset ${message.offset} (${parsed.data.reason} → ${result.reason}): ${result.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}\n`);
          }
        }
        if (toSend.length > 0 && !args['dry-run']) await producer.send({ topic: topics.events, acks: -1, messages: toSend });
        replayed += toSend.length;
        if (BigInt(batch.lastOffset()) + 1n >= end) finished.add(batch.partition);
        process.stderr.write(`… ${replayed} replayed, ${[...failed.values()].reduce((a, b) => a + b, 0)} still refused, ${skipped} skipped\n`);
        if (finished.size === ends.size) resolve();
      },
    })
    .catch(reject);
});
await consumer.disconnect();
await producer.disconnect();
const failedTotal = [...failed.values()].reduce((a, b) => a + b, 0);
process.stdout.write(
  `${args['dry-run'] ? '(dry run) would replay' : 'replayed'} ${replayed} to ${topics.events}; ${failedTotal} still refused${failedTotal ? ` (${[...failed].map(([r, n]) => `${r}: ${n}`).join(', ')})` : ''}, left in ${topics.eventsDeadLetter}; ${skipped} skipped by filters\nreplayed=${replayed} failed=${failedTotal} skipped=${skipped}\n`,
);
