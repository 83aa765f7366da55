import type { KafkaMessage, Message } from 'kafkajs';
import { decodeEvent, deadLetter, encodeDeadLetter, type TrackedEvent } from '@leadscore/events';
import type { PartitionBatch } from '@leadscore/kafka';
import type { Logger } from '@leadscore/log';
import type { Redis } from 'ioredis';
import { alertStateOf, profileKeys, traitValue } from '@leadscore/portrait';
import { decideAlerts, decideCompanyAlerts, type Rules } from '@leadscore/scoring';
import type { AlertOutbox } from './alert-outbox.ts';
import type { IngestMetrics } from './metrics.ts';
import type { PortraitOutcome, PortraitWriter } from './portrait-writer.ts';
import { conflictRow, eventRow, ledgerRows, linkRow } from './rows.ts';
import type { Warehouse } from './warehouse.ts';

export interface BatchProcessorDeps {
  readonly portraits: PortraitWriter;
  readonly outbox: AlertOutbox;
  readonly rules: () => Rules;
  readonly timeZone: string;
  readonly freshnessMs: number;
  readonly now?: () => number;
  /** For buying-group signals, which read the members' traits. */
  readonly redis?: Redis;
  readonly namespace: string;
  readonly warehouse: Warehouse;
  /** Produces dead letters and resolves when Kafka has them. */
  readonly sendDeadLetters: (messages: Message[]) => Promise<void>;
  readonly metrics: IngestMetrics;
  readonly log: Logger;
}

/**
 * One partition batch, start to end: decode (undecodable records become dead letters with their bytes and offsets),
 * portraits in Redis, rows in ClickHouse, dead letters in Kafka. It throws when any store fails, so the caller retries
 * the whole batch; every step is idempotent, and ClickHouse gets every row again even for events Redis already had,
 * so a crash between the two stores still ends with the rows written.
 */
export function createBatchProcessor(deps: BatchProcessorDeps) {
  const { metrics, log } = deps;
  /** Buying-group signals: the roles of the members who engaged, read in one round trip, judged by the rules. */
  async function companyFirings(companyStates: PortraitOutcome['companyStates'], rules: Rules, now: number) {
    if (companyStates.length === 0 || !deps.redis) return [];
    const members = new Set<string>();
    for (const { state } of companyStates) for (const field of Object.keys(state)) if (field.startsWith('bg:')) members.add(field.slice(field.indexOf(':', 3) + 1));
    const list = [...members];
    const pipeline = deps.redis.pipeline();
    for (const m of list) pipeline.hgetall(profileKeys(deps.namespace, m).traits);
    const replies = (await pipeline.exec()) ?? [];
    const memberTraits: Record<string, Record<string, unknown>> = {};
    list.forEach((m, i) => {
      const [err, raw] = replies[i] as [Error | null, Record<string, string>];
      if (err) throw err;
      memberTraits[m] = Object.fromEntries(Object.entries(raw).map(([name, text]) => [name, traitValue(text)]));
    });
    return companyStates.flatMap(({ event, company, state }) =>
      decideCompanyAlerts({ rules, event, state, memberTraits, now, timeZone: deps.timeZone }).map((candidate) => ({
        lead: `c:${company}`,
        company,
        candidate,
        messageId: event.messageId,
        rulesVersion: rules.version,
      })),
    );
  }

  return async function processBatch(batch: PartitionBatch): Promise<void> {
    const events: { event: TrackedEvent; message: KafkaMessage }[] = [];
    const letters: Message[] = [];
    for (const message of batch.messages) {
      const decoded = decodeEvent(message.value, message.headers);
      if (decoded.ok) {
        events.push({ event: decoded.event, message });
        continue;
      }
      log.warn({ partition: batch.partition, offset: message.offset, reason: decoded.reason, issues: decoded.issues }, 'record refused; sent to the dead-letter topic');
      letters.push(
        encodeDeadLetter(
          deadLetter({
            reason: decoded.reason,
            message: decoded.message,
            issues: decoded.issues,
            stage: 'ingest',
            original: message.value ?? Buffer.alloc(0),
            origin: { topic: batch.topic, partition: batch.partition, offset: message.offset, key: message.key?.toString() ?? null },
          }),
        ),
      );
    }

    // The event rows do not depend on the portraits: their insert runs beside the Redis writes.
    const eventRows = deps.warehouse.write({ events: events.map(({ event, message }) => eventRow(event, { partition: batch.partition, offset: message.offset })) });
    // Both settle before a failure is thrown, so a retry never overlaps the attempt before it.
    const [portraits, rows] = await Promise.allSettled([deps.portraits.write(events.map((e) => e.event)), eventRows]);
    if (portraits.status === 'rejected') throw portraits.reason;
    if (rows.status === 'rejected') throw rows.reason;
    const outcome = portraits.value;
    await deps.warehouse.write({
      ledger: outcome.ledger.flatMap(({ event, profile, lines }) => ledgerRows(event, profile, lines)),
      links: outcome.links.map(({ link, event }) => linkRow(link, event)),
      conflicts: outcome.conflicts.map(({ conflict, event }) => conflictRow(conflict, event)),
    });
    // Alerts are decided on the states the scripts handed back, on every delivery (a replay after a crash decides
    // the same); the outbox markers keep each firing to one job.
    const rules = deps.rules();
    const now = (deps.now ?? Date.now)();
    const firings = outcome.states.flatMap(({ event, profile, state }) =>
      decideAlerts({ rules, event, state: alertStateOf(state), now, timeZone: deps.timeZone, freshnessMs: deps.freshnessMs }).map((candidate) => ({
        lead: profile,
        candidate,
        messageId: event.messageId,
        rulesVersion: rules.version,
      })),
    );
    firings.push(...(await companyFirings(outcome.companyStates, rules, now)));
    const enqueued = await deps.outbox.fire(firings);
    if (letters.length > 0) await deps.sendDeadLetters(letters);

    metrics.processed.inc({ outcome: 'applied' }, outcome.applied);
    metrics.processed.inc({ outcome: 'duplicate' }, outcome.duplicates);
    metrics.redisRoundTrips.inc(outcome.roundTrips);
    metrics.alertsEnqueued.inc(enqueued);
    for (const letter of letters) metrics.deadLettered.inc({ reason: String(letter.headers?.reason ?? 'unknown') });
    for (const { conflict, event } of outcome.conflicts) {
      metrics.conflicts.inc({ kind: conflict.kind });
      log.warn({ eventId: event.messageId, conflict }, 'identity conflict recorded; nothing merged');
    }
  };
}
