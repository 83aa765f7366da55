import type { KafkaMessage, Message } from 'kafkajs';
import { decodeEvent, deadLetter, encodeDeadLetter, type DeadLetterReason, type TrackedEvent } from '@leadscore/events';
import type { PartitionBatch } from '@leadscore/kafka';
import type { Logger } from '@leadscore/log';
import { alertStateOf, companyAlertStateOf } from '@leadscore/portrait';
import { decideAlerts, decideCompanyAlerts, type AlertDecision, type AlertState, type Hold, type LastFired, type Rules } from '@leadscore/scoring';
import type { AlertOutbox, Firing } from './alert-outbox.ts';
import type { IngestMetrics } from './metrics.ts';
import type { CompanyJudgment, Judgment, MergedProfile, PortraitWriter } from './portrait-writer.ts';
import { conflictRow, eventRow, insertedAt, ledgerRows, linkRow } from './rows.ts';
import type { Warehouse } from './warehouse.ts';

export interface BatchProcessorDeps {
  readonly portraits: PortraitWriter;
  readonly outbox: AlertOutbox;
  readonly rules: () => Rules;
  readonly timeZone: string;
  readonly freshnessMs: number;
  readonly now?: () => number;
  /** The trait values of leads, for buying groups, which read their members' roles. */
  readonly memberTraits: (members: readonly string[]) => Promise<Record<string, Record<string, unknown>>>;
  readonly warehouse: Warehouse;
  /** Produces dead letters and resolves when Kafka has them. */
  readonly sendDeadLetters: (messages: Message[]) => Promise<void>;
  /** Tries of an event a store refuses before it is a dead letter. */
  readonly eventAttempts: number;
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

/** Alert state fields as a link hands them over (alert_last:*, held:*), as decisions read them. */
function decidedOf(fields: Readonly<Record<string, string>>): Decided | undefined {
  const state = alertStateOf(fields);
  const heldUntil = Object.fromEntries(Object.entries(state.heldUntil).filter((e): e is [string, number] => e[1] !== undefined));
  const lastFired = Object.fromEntries(Object.entries(state.lastFired).filter((e): e is [string, LastFired] => e[1] !== undefined));
  return Object.keys(heldUntil).length + Object.keys(lastFired).length > 0 ? { lastFired, heldUntil } : undefined;
}

/** What a batch decided for a subject, as alert state fields (carryAlertState-2.lua reads them). */
function decidedFields(subject: string, firings: readonly Firing[], holds: ReadonlyMap<string, readonly Hold[]>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const { lead, candidate } of firings) {
    if (lead !== subject) continue;
    fields[`alert:${candidate.ruleId}:${candidate.window}`] = 'fired';
    const f = candidate.lastFired;
    if (f) fields[`alert_last:${candidate.ruleId}`] = [f.runStart, f.day, ...(f.until !== undefined ? [f.until] : [])].join('|');
  }
  for (const h of holds.get(subject) ?? []) fields[`held:${h.ruleId}`] = String(Math.max(h.until, Number(fields[`held:${h.ruleId}`] ?? Number.NEGATIVE_INFINITY)));
  return fields;
}

/** Failed tries remembered per record, for this many records at most (a record is forgotten once its batch is done). */
const ATTEMPTS_CAP = 10_000;

/** Firings and holds decided earlier in the batch, per subject. */
interface Decided {
  readonly lastFired: Record<string, LastFired>;
  readonly heldUntil: Record<string, number>;
}

interface Letter {
  readonly message: KafkaMessage;
  readonly reason: DeadLetterReason;
  readonly text: string;
  readonly issues: readonly { readonly path: string; readonly message: string }[];
  readonly messageId?: string;
}

/**
 * One partition batch, start to end, each event on its own: decode (undecodable records become dead letters), the
 * portraits in Redis (an event nobody can be given to, or that Redis refuses on every try, becomes a dead letter and
 * holds back nothing else), the rows of the events applied in ClickHouse (a row ClickHouse refuses is found and its
 * event dead-lettered), alert decisions on the states the portraits handed back, dead letters in Kafka. An outage
 * of a store throws, so the caller retries the whole batch; every step is idempotent, so a retry or a crash between
 * any two of them ends with everything written once.
 */
export function createBatchProcessor(deps: BatchProcessorDeps) {
  const { metrics, log } = deps;
  const tries = new Map<string, number>();
  const recordKey = (batch: PartitionBatch, message: KafkaMessage) => `${batch.topic}:${batch.partition}:${message.offset}`;

  /**
   * What earlier judgments of this batch decided for a subject, laid over the state the scripts handed back (which
   * is from before the firings are marked): a later event of the same subject sees the earlier firing, as it would
   * have had the two events come in separate batches.
   */
  function withDecided<S extends Pick<AlertState, 'lastFired' | 'heldUntil'>>(state: S, decided: Decided | undefined): S {
    if (!decided) return state;
    const heldUntil: Record<string, number | undefined> = { ...state.heldUntil };
    for (const [rule, until] of Object.entries(decided.heldUntil)) heldUntil[rule] = Math.max(until, heldUntil[rule] ?? Number.NEGATIVE_INFINITY);
    return { ...state, lastFired: { ...state.lastFired, ...decided.lastFired }, heldUntil };
  }
  function noteDecided(all: Map<string, Decided>, subject: string, decision: AlertDecision): void {
    if (decision.firings.length === 0 && decision.holds.length === 0) return;
    const decided = all.get(subject) ?? { lastFired: {}, heldUntil: {} };
    for (const f of decision.firings) if (f.lastFired) decided.lastFired[f.ruleId] = f.lastFired;
    for (const h of decision.holds) decided.heldUntil[h.ruleId] = Math.max(h.until, decided.heldUntil[h.ruleId] ?? Number.NEGATIVE_INFINITY);
    all.set(subject, decided);
  }

  function judgeLeads(judgments: readonly Judgment[], merged: readonly MergedProfile[], rules: Rules, now: number): { firings: Firing[]; holds: Map<string, Hold[]> } {
    const firings: Firing[] = [];
    const holds = new Map<string, Hold[]>();
    const decided = new Map<string, Decided>();
    // From the event that links a profile into a lead on, the lead's alerts see the profile's: what its link handed
    // over from Redis, and what this batch decided for it. In separate batches the link would have carried both
    // (carryAlertState) before the lead's later events were judged.
    const decidedFor = (lead: string, index: number): Decided | undefined => {
      const own = decided.get(lead);
      const taken = merged.filter((m) => m.to === lead && m.index <= index).flatMap((m) => [decidedOf(m.alertState), decidedFor(m.from, index)]);
      const all = [...(own ? [own] : []), ...taken.filter((d): d is Decided => d !== undefined)];
      if (all.length <= 1) return all[0];
      const lastFired: Record<string, LastFired> = {};
      const heldUntil: Record<string, number> = {};
      for (const d of all) {
        for (const [rule, f] of Object.entries(d.lastFired)) if (!lastFired[rule] || f.day > (lastFired[rule] as LastFired).day) lastFired[rule] = f;
        for (const [rule, until] of Object.entries(d.heldUntil)) heldUntil[rule] = Math.max(until, heldUntil[rule] ?? Number.NEGATIVE_INFINITY);
      }
      return { lastFired, heldUntil };
    };
    for (const { index, lead, contribution, state, judgedBefore } of judgments) {
      const decision = decideAlerts({ rules, contribution, state: withDecided(alertStateOf(state), decidedFor(lead, index)), now, timeZone: deps.timeZone, freshnessMs: deps.freshnessMs, ...(judgedBefore ? { judgedBefore } : {}) });
      noteDecided(decided, lead, decision);
      for (const candidate of decision.firings) firings.push({ lead, candidate, messageId: contribution.m, rulesVersion: rules.version });
      if (decision.holds.length > 0) holds.set(lead, [...(holds.get(lead) ?? []), ...decision.holds]);
    }
    return { firings, holds };
  }

  /** Buying groups: the roles of the members who engaged, read in one round trip, judged by the rules. */
  async function judgeCompanies(judgments: readonly CompanyJudgment[], rules: Rules, now: number): Promise<{ firings: Firing[]; holds: Map<string, Hold[]> }> {
    const firings: Firing[] = [];
    const holds = new Map<string, Hold[]>();
    if (judgments.length === 0) return { firings, holds };
    const states = judgments.map((j) => ({ judgment: j, state: companyAlertStateOf(j.groups) }));
    const members = new Set(states.flatMap(({ state }) => Object.values(state.engagements).flatMap((list) => list.map((e) => e.member))));
    const memberTraits = await deps.memberTraits([...members]);
    const decided = new Map<string, Decided>();
    for (const { judgment, state } of states) {
      const subject = `c:${judgment.company}`;
      const decision = decideCompanyAlerts({ rules, judge: { ruleIds: judgment.rules, flagged: judgment.flagged }, state: withDecided(state, decided.get(subject)), memberTraits, now, timeZone: deps.timeZone });
      noteDecided(decided, subject, decision);
      for (const candidate of decision.firings) firings.push({ lead: subject, company: judgment.company, candidate, messageId: judgment.messageId, rulesVersion: rules.version });
      if (decision.holds.length > 0) holds.set(subject, [...(holds.get(subject) ?? []), ...decision.holds]);
    }
    return { firings, holds };
  }

  return async function processBatch(batch: PartitionBatch): Promise<void> {
    const events: TrackedEvent[] = [];
    const messages: KafkaMessage[] = [];
    const letters: Letter[] = [];
    for (const message of batch.messages) {
      const decoded = decodeEvent(message.value, message.headers);
      if (!decoded.ok) letters.push({ message, reason: decoded.reason, text: decoded.message, issues: decoded.issues });
      else {
        events.push(decoded.event);
        messages.push(message);
      }
    }

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

    // Rows of the events the portraits took (refused ones have none), with the links, conflicts and ledger lines.
    const inserted = insertedAt((deps.now ?? Date.now)());
    const ownerOf = new Map(events.map((e, i) => [e.messageId, i]));
    const refusedRows = await deps.warehouse.write({
      events: events.flatMap((event, i) => (dropped.has(i) ? [] : [{ owner: i, row: eventRow(event, { partition: batch.partition, offset: (messages[i] as KafkaMessage).offset }, inserted) }])),
      score_ledger: portraits.ledger.flatMap(({ event, profile, lines }) => ledgerRows(event, profile, lines, inserted).map((row) => ({ owner: ownerOf.get(event.messageId) ?? -1, row }))),
      identity_links: portraits.links.map((link) => ({ owner: ownerOf.get(link.messageId) ?? -1, row: linkRow(link, inserted) })),
      identity_conflicts: portraits.conflicts.map(({ conflict, event }) => ({ owner: ownerOf.get(event.messageId) ?? -1, row: conflictRow(conflict, event, inserted) })),
    });
    for (const [index, err] of refusedRows) {
      const message = messages[index];
      if (!message || dropped.has(index)) {
        log.error({ partition: batch.partition, err: err.message }, 'ClickHouse refused a row of no event of this batch; it is left out');
        continue;
      }
      dropped.add(index);
      const text = `ClickHouse refused its row (its portrait in Redis keeps it): ${err.message}`;
      letters.push({ message, reason: 'store_rejected', text, issues: [{ path: '(row)', message: text }], messageId: (events[index] as TrackedEvent).messageId });
    }

    // Alerts are decided on the states the scripts handed back, on every delivery (a replay after a crash decides
    // the same); the outbox markers keep each firing to one job, and holds are raised only after the marks.
    const rules = deps.rules();
    const now = (deps.now ?? Date.now)();
    const leads = judgeLeads(portraits.judgments, portraits.merged, rules, now);
    const companies = await judgeCompanies(portraits.companyJudgments, rules, now);
    const firings = [...leads.firings, ...companies.firings];
    const enqueued = await deps.outbox.fire(firings);
    await deps.portraits.raiseHolds([...leads.holds, ...companies.holds].map(([subject, holds]) => ({ subject, holds })));
    await deps.portraits.carryAlerts(portraits.merged.map(({ from, to }) => ({ lead: to, fields: decidedFields(from, firings, leads.holds) })));

    if (letters.length > 0) {
      for (const l of letters) log.warn({ partition: batch.partition, offset: l.message.offset, eventId: l.messageId, reason: l.reason, issues: l.issues }, 'record refused; sent to the dead-letter topic');
      await deps.sendDeadLetters(
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
    for (const message of messages) tries.delete(recordKey(batch, message));

    metrics.processed.inc({ outcome: 'applied' }, portraits.applied);
    metrics.processed.inc({ outcome: 'duplicate' }, portraits.duplicates);
    metrics.redisRoundTrips.inc(portraits.roundTrips);
    metrics.alertsEnqueued.inc(enqueued);
    for (const l of letters) metrics.deadLettered.inc({ reason: l.reason });
    for (const { conflict, event } of portraits.conflicts) {
      metrics.conflicts.inc({ kind: conflict.kind });
      log.warn({ eventId: event.messageId, conflict }, 'identity conflict recorded; nothing merged');
    }
  };
}
