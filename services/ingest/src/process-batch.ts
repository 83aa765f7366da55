import type { KafkaMessage, Message } from 'kafkajs';
import { backoffDelayMs, decodeEvent, deadLetter, type DecodeResult, deniesAnalytics, encodeDeadLetter, type DeadLetterReason, type TrackedEvent } from '@leadscore/events';
import type { Handed, PartitionBatch } from '@leadscore/kafka';
import type { Logger } from '@leadscore/log';
import type { Rules } from '@leadscore/scoring';
import { decidedFields, judgeCompanies, judgeLeads, membersToJudge } from './alert-judgments.ts';
import type { AlertOutbox, Firing, LiveNotice } from '@leadscore/portrait';
import { liveNotices } from './live-notices.ts';
import type { IngestMetrics } from './metrics.ts';
import type { PortraitWriter } from './portrait-writer.ts';
import { conflictRow, eventRow, insertedAt, ledgerRows, linkRow } from './rows.ts';
import type { Warehouse, WarehouseRows } from './warehouse.ts';

export interface BatchProcessorDeps {
  readonly portraits: PortraitWriter;
  readonly outbox: AlertOutbox;
  readonly rules: () => Rules;
  readonly timeZone: string;
  readonly freshnessMs: number;
  readonly now?: () => number;
  /** Judge alerts as of each event's time (a replay), not the batch's. */
  readonly atEventTime?: boolean;
  /** The trait values of leads, for buying groups, which read their members' roles. */
  readonly memberTraits: (members: readonly string[]) => Promise<Record<string, Record<string, unknown>>>;
  /** Where the rows go; a replay has none (its events came from ClickHouse), and builds no rows. */
  readonly warehouse?: Warehouse;
  /**
   * How a record becomes an event. Default: decodeEvent of its bytes and headers. A replay hands over the events it
   * rebuilt from their rows, checked by the same schema (validateEvent), instead of writing and parsing JSON again.
   */
  readonly decode?: (message: KafkaMessage) => DecodeResult;
  /** Produces dead letters and resolves when Kafka has them. */
  readonly sendDeadLetters: (messages: Message[]) => Promise<void>;
  /** Tries of an event a store refuses before it is a dead letter. */
  readonly eventAttempts: number;
  /** The indexes of events that speak for an identity erased at a person's request: dropped, counted, not kept. */
  readonly suppressed?: (events: readonly TrackedEvent[]) => Promise<Set<number>>;
  /** Takes one form alert from a source's hourly budget; false when it is spent (see formAlertsPerSourcePerHour). */
  readonly formBudget?: (source: string) => Promise<boolean>;
  /** Publishes what screens show live (tier changes, alerts): a nudge, so a failure is logged, never retried. */
  readonly live?: (notices: readonly LiveNotice[]) => Promise<void>;
  /**
   * How long to wait before writing a batch's rows again after ClickHouse failed them (an outage, not their
   * content), given the tries so far. Default: storeRetryDelayMs.
   */
  readonly storeBackoffMs?: (attempt: number) => number;
  readonly metrics: IngestMetrics;
  readonly log: Logger;
}

/**
 * Raised when a store refused some events of the batch and they have tries left: the batch is retried (what went
 * through is idempotent), and an event refused on every try becomes a dead letter.
 */
export class EventsRefusedError extends Error {
  override readonly name = 'EventsRefusedError';
}

/**
 * The wait before a store is tried again, by tries so far: the consumer's batch retries and the retries of rows that
 * linger alike. Equal jitter: retries still spread, yet always wait a while before hitting a store that just failed.
 */
export const storeRetryDelayMs = (attempt: number) => backoffDelayMs(attempt, { baseMs: 200, maxMs: 30_000, jitter: 'equal' });

type PortraitsWritten = Awaited<ReturnType<PortraitWriter['write']>>;

/** Failed tries remembered per record, for this many records at most (a record is forgotten once its batch is done). */
const ATTEMPTS_CAP = 10_000;

interface Letter {
  readonly message: KafkaMessage;
  readonly reason: DeadLetterReason;
  readonly text: string;
  readonly issues: readonly { readonly path: string; readonly message: string }[];
  readonly messageId?: string;
}

/**
 * One partition batch, each event on its own, in two parts. At once: decode (undecodable records become dead
 * letters), the portraits in Redis (an event nobody can be given to, or that Redis refuses on every try, becomes a
 * dead letter and holds back nothing else), alert decisions on the states the portraits handed back, dead letters in
 * Kafka. Then, handed back as `durable`: the rows of the events in ClickHouse, lingering to share an insert with
 * later batches (a row ClickHouse refuses for its content is found and its event dead-lettered; an outage is retried
 * with backoff). The consumer goes on with later batches meanwhile and commits offsets in order once each batch is
 * durable. A Redis outage throws, so the caller retries the whole batch; every step is idempotent, so a retry or a
 * crash between any two of them ends with everything written once and the same alerts decided.
 */
export function createBatchProcessor(deps: BatchProcessorDeps) {
  const { metrics, log } = deps;
  const tries = new Map<string, number>();
  const recordKey = (batch: PartitionBatch, message: KafkaMessage) => `${batch.topic}:${batch.partition}:${message.offset}`;

  /** Form firings past their source's hourly budget are refused (counted), so a flood of fake leads is not a flood of alerts. */
  async function withinFormBudget(firings: readonly Firing[]): Promise<Firing[]> {
    if (!deps.formBudget) return [...firings];
    const kept: Firing[] = [];
    for (const f of firings) {
      const source = f.candidate.kind === 'form' ? f.candidate.evidence.source : undefined;
      if (typeof source === 'string' && !(await deps.formBudget(source))) {
        metrics.alertsRefused.inc({ rule: f.candidate.ruleId, reason: 'source_limit' });
        log.warn({ leadId: f.lead, rule: f.candidate.ruleId, source, eventId: f.messageId }, 'form alert refused: its source raised its hourly budget of form alerts');
        continue;
      }
      kept.push(f);
    }
    return kept;
  }

  const storeBackoffMs = deps.storeBackoffMs ?? storeRetryDelayMs;
  const decode = deps.decode ?? ((message: KafkaMessage) => decodeEvent(message.value, message.headers));

  function deadLetterRecords(batch: PartitionBatch, letters: readonly Letter[]): Promise<void> {
    for (const l of letters) log.warn({ partition: batch.partition, offset: l.message.offset, eventId: l.messageId, reason: l.reason, issues: l.issues }, 'record refused; sent to the dead-letter topic');
    for (const l of letters) metrics.deadLettered.inc({ reason: l.reason });
    return deps.sendDeadLetters(
      letters.map((l) =>
        encodeDeadLetter(
          deadLetter({
            reason: l.reason,
            message: l.text,
            issues: l.issues,
            stage: 'ingest',
            original: l.message.value ?? Buffer.alloc(0),
            origin: { topic: batch.topic, partition: batch.partition, offset: l.message.offset, key: l.message.key?.toString() ?? null },
            ...(l.messageId ? { messageId: l.messageId } : {}),
          }),
        ),
      ),
    );
  }

  /** Tries `run` until it succeeds, waiting between tries: what lingers has no batch retry to fall back on. */
  async function untilDone<T>(what: string, partition: number, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        metrics.storeRetries.inc();
        log.error({ err, partition, attempt }, `${what} failed; retrying`);
        await new Promise((r) => setTimeout(r, storeBackoffMs(attempt)));
      }
    }
  }

  /** The batch's rows in ClickHouse, then the dead letters of rows refused for their content. */
  async function store(warehouse: Warehouse, batch: PartitionBatch, rows: WarehouseRows, events: readonly TrackedEvent[], messages: readonly KafkaMessage[], dropped: ReadonlySet<number>): Promise<void> {
    const refusedRows = await untilDone('ClickHouse insert of a batch', batch.partition, () => warehouse.write(rows));
    const letters: Letter[] = [];
    for (const [index, err] of refusedRows) {
      const message = messages[index];
      if (!message || dropped.has(index)) {
        log.error({ partition: batch.partition, err: err.message }, 'ClickHouse refused a row of no event of this batch; it is left out');
        continue;
      }
      const text = `ClickHouse refused its row (its portrait in Redis keeps it): ${err.message}`;
      letters.push({ message, reason: 'store_rejected', text, issues: [{ path: '(row)', message: text }], messageId: (events[index] as TrackedEvent).messageId });
    }
    if (letters.length > 0) await untilDone('dead letters of refused rows', batch.partition, () => deadLetterRecords(batch, letters));
  }

  /**
   * The rows of the events the portraits took (refused ones have none), with the links, conflicts and ledger lines:
   * made now, written by `store` once the alerts are decided.
   */
  function rowsOf(batch: PartitionBatch, events: readonly TrackedEvent[], messages: readonly KafkaMessage[], portraits: PortraitsWritten, dropped: ReadonlySet<number>): WarehouseRows {
    const inserted = insertedAt((deps.now ?? Date.now)());
    const ownerOf = new Map(events.map((e, i) => [e.messageId, i]));
    return {
      events: events.flatMap((event, i) => (dropped.has(i) ? [] : [{ owner: i, row: eventRow(event, { partition: batch.partition, offset: (messages[i] as KafkaMessage).offset }, inserted) }])),
      score_ledger: portraits.ledger.flatMap(({ event, profile, lines }) => ledgerRows(event, profile, lines, inserted).map((row) => ({ owner: ownerOf.get(event.messageId) ?? -1, row }))),
      identity_links: portraits.links.map((link) => ({ owner: ownerOf.get(link.messageId) ?? -1, row: linkRow(link, inserted) })),
      identity_conflicts: portraits.conflicts.map(({ conflict, event }) => ({ owner: ownerOf.get(event.messageId) ?? -1, row: conflictRow(conflict, event, inserted) })),
    };
  }

  async function applyBatch(batch: PartitionBatch): Promise<Handed> {
    const decodedEvents: TrackedEvent[] = [];
    const decodedMessages: KafkaMessage[] = [];
    const letters: Letter[] = [];
    for (const message of batch.messages) {
      const decoded = decode(message);
      if (!decoded.ok) letters.push({ message, reason: decoded.reason, text: decoded.message, issues: decoded.issues });
      else {
        decodedEvents.push(decoded.event);
        decodedMessages.push(message);
      }
    }
    // Events of erased identities go no further: not applied, not stored, not dead-lettered (that would keep them).
    const erased = deps.suppressed ? await deps.suppressed(decodedEvents) : new Set<number>();
    if (erased.size > 0) {
      metrics.suppressed.inc(erased.size);
      log.info({ partition: batch.partition, count: erased.size }, 'events of erased identities dropped');
    }
    // The collector drops messages that withhold consent to analytics; one that reached the topic another way (a
    // dead letter replayed, an older collector) is dropped here by the same rule.
    const withheld = new Set<number>();
    decodedEvents.forEach((e, i) => {
      if (!erased.has(i) && deniesAnalytics(e.context)) withheld.add(i);
    });
    if (withheld.size > 0) metrics.consentWithheld.inc(withheld.size);
    const events = decodedEvents.filter((_, i) => !erased.has(i) && !withheld.has(i));
    const messages = decodedMessages.filter((_, i) => !erased.has(i) && !withheld.has(i));

    const portraits = await deps.portraits.write(events);
    const dropped = new Set<number>();
    for (const r of portraits.refused) {
      dropped.add(r.index);
      letters.push({ message: messages[r.index] as KafkaMessage, reason: r.reason, text: r.message, issues: r.issues, messageId: r.event.messageId });
    }
    let retry = false;
    for (const { index, event, failure } of portraits.failed) {
      const message = messages[index] as KafkaMessage;
      const key = recordKey(batch, message);
      const attempt = (tries.get(key) ?? 0) + 1;
      if (!failure.refused && attempt < deps.eventAttempts) {
        tries.set(key, attempt);
        if (tries.size > ATTEMPTS_CAP) tries.delete(tries.keys().next().value as string);
        log.warn({ partition: batch.partition, offset: message.offset, eventId: event.messageId, attempt, err: failure.error.message }, 'Redis refused an event; its batch is retried');
        retry = true;
        continue;
      }
      dropped.add(index);
      const text = `Redis refused it${failure.refused ? '' : ` on ${attempt} tries`}: ${failure.error.message}`;
      letters.push({ message, reason: 'store_rejected', text, issues: [{ path: '(event)', message: text }], messageId: event.messageId });
    }
    if (retry) throw new EventsRefusedError(`Redis refused ${portraits.failed.length} event(s) of partition ${batch.partition}; retrying the batch`);

    const rows = deps.warehouse ? rowsOf(batch, events, messages, portraits, dropped) : undefined;

    // Alerts are decided on the states the scripts handed back, on every delivery (a replay after a crash decides
    // the same); the outbox markers keep each firing to one job, and holds are raised only after the marks.
    const ctx = { rules: deps.rules(), now: (deps.now ?? Date.now)(), timeZone: deps.timeZone, freshnessMs: deps.freshnessMs, atEventTime: deps.atEventTime === true };
    const leads = judgeLeads(portraits.judgments, portraits.merged, ctx);
    for (const [rule, count] of leads.refused ?? []) metrics.alertsRefused.inc({ rule, reason: 'cooldown' }, count);
    const memberTraits = portraits.companyJudgments.length > 0 ? await deps.memberTraits(membersToJudge(portraits.companyJudgments)) : {};
    const companies = judgeCompanies(portraits.companyJudgments, memberTraits, ctx);
    const firings = await withinFormBudget([...leads.firings, ...companies.firings]);
    const enqueued = await deps.outbox.fire(firings);
    await deps.portraits.raiseHolds([...leads.holds, ...companies.holds].map(([subject, holds]) => ({ subject, holds })));
    await deps.portraits.carryAlerts(portraits.merged.map(({ from, to }) => ({ lead: to, fields: decidedFields(from, firings, leads.holds) })));
    if (deps.live) {
      const notices = liveNotices(portraits.judgments, leads.firings, ctx.rules, ctx.now);
      if (notices.length > 0) await deps.live(notices).catch((err: Error) => log.warn({ partition: batch.partition, err: err.message }, 'live notices not published; screens catch up at the next ranking sweep'));
    }

    if (letters.length > 0) await deadLetterRecords(batch, letters);
    for (const message of messages) tries.delete(recordKey(batch, message));

    metrics.processed.inc({ outcome: 'applied' }, portraits.applied);
    metrics.processed.inc({ outcome: 'duplicate' }, portraits.duplicates);
    metrics.redisRoundTrips.inc(portraits.roundTrips);
    metrics.alertsEnqueued.inc(enqueued);
    for (const { conflict, event } of portraits.conflicts) {
      metrics.conflicts.inc({ kind: conflict.kind });
      log.warn({ eventId: event.messageId, conflict }, 'identity conflict recorded; nothing merged');
    }
    return { durable: deps.warehouse && rows ? store(deps.warehouse, batch, rows, events, messages, dropped) : Promise.resolve() };
  }

  return {
    /** The batch applied to the portraits and alerts; its rows still on their way to ClickHouse (`durable`). */
    applyBatch,
    /** The batch, start to end: for replays, which have no later batch to go on with. */
    async processBatch(batch: PartitionBatch): Promise<void> {
      await (await applyBatch(batch)).durable;
    },
  };
}
