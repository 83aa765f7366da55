import type { KafkaMessage } from 'kafkajs';
import { encodeEvent, type HotLeadJob, type TrackedEvent } from '@leadscore/events';
import { createIngestMetrics } from '@leadscore/ingest/src/metrics.ts';
import { createScoringPath, type ScoringSettings } from '@leadscore/ingest/src/scoring-path.ts';
import type { Warehouse } from '@leadscore/ingest/src/warehouse.ts';
import type { Logger } from '@leadscore/log';
import { definePortraitScripts, type AlertSink, type PortraitScripts } from '@leadscore/portrait';
import { dateOfDay, localDay, type Rules } from '@leadscore/scoring';
import { claimsOf } from '@leadscore/identity';
import type { Redis } from 'ioredis';

/** A batch ends at this many events, or when its events span this long: the clock is its newest event's time. */
export const REPLAY_BATCH_EVENTS = 500;
export const REPLAY_BATCH_SPAN_MS = 86_400_000;

/** An alert the replay's outbox released: the job the live path would have enqueued, at the replay's clock. */
export interface ReplayedAlert {
  readonly job: HotLeadJob;
  readonly at: number;
}

/** Identity pairs remembered to cut batches at links (cleared when full: a forgotten pair only costs a cut). */
const LINKS_REMEMBERED = 1_000_000;

/**
 * Whether an event may bring a history into a lead for the first time in this replay: it links a visitor, or a
 * provisional email lead, that has had events of its own, to someone else; then the identities it speaks for. A
 * later event for one of them starts a new batch, so the history is judged before it, as it was live. (A visitor
 * who says who they are with their first event brings nothing.)
 */
function historyLinker(options: { readonly resumed?: boolean } = {}, remembered = LINKS_REMEMBERED) {
  const alone = new Set<string>();
  const linked = new Set<string>();
  const note = (set: Set<string>, key: string) => {
    if (set.size >= remembered) set.clear();
    set.add(key);
  };
  return (event: TrackedEvent): string[] | undefined => {
    const c = claimsOf(event);
    const anonymous = c.anonymousId ? `a\t${c.anonymousId}` : undefined;
    const email = c.email ? `e\t${c.email}` : undefined;
    // The profile the event lands on: its user, else its email lead, else its visitor.
    const owner = c.userId ? `u\t${c.userId}` : (email ?? anonymous);
    if (owner === undefined) return undefined;
    if (owner === anonymous || (owner === email && !anonymous)) return void note(alone, owner), undefined;
    let cut = false;
    for (const profile of [anonymous, email]) {
      // A replay resumed part way never saw the earlier events: any profile may have a history, so every first link
      // cuts (more batches, the same portraits).
      if (!profile || profile === owner || !(options.resumed || alone.has(profile))) continue;
      const pair = `${profile}\t${owner}`;
      if (linked.has(pair)) continue;
      note(linked, pair);
      cut = true;
    }
    return cut ? identitiesOf(event) : undefined;
  };
}

/** The identities an event speaks for, as the linker keys them. */
function identitiesOf(event: TrackedEvent): string[] {
  const c = claimsOf(event);
  return [...(c.userId ? [`u\t${c.userId}`] : []), ...(c.email ? [`e\t${c.email}`] : []), ...(c.anonymousId ? [`a\t${c.anonymousId}`] : [])];
}

/** A replay's rows go nowhere: the events are in ClickHouse already, which is where they came from. */
const noRows: Warehouse = { write: async () => new Map() } as unknown as Warehouse;

/**
 * Events, oldest first, through the live scoring path (createScoringPath: the same Lua scripts, alert decisions and
 * outbox) into a namespace, each event applied and judged as of its own time, as if the worker had taken each from
 * Kafka as it happened. A batch ends at a first link between two profiles, so the history a link brings is judged
 * before later events, as it was live. Alerts go to `onAlert` instead of a queue. Before each batch whose first event falls
 * on a later day, `onDayEnd` sees the day that ended (for reports of each day's end).
 */
export function createReplay(deps: {
  readonly redis: Redis;
  readonly scripts: PortraitScripts;
  readonly settings: ScoringSettings;
  readonly rules: () => Rules;
  readonly log: Logger;
  /** Awaited before the outbox marks the firing sent: a durable recorder loses none to a crash. */
  readonly onAlert: (alert: ReplayedAlert) => void | Promise<void>;
  readonly dayOf: (ms: number) => string;
  readonly onDayEnd?: (day: string, endMs: number) => Promise<void>;
}) {
  let clock = 0;
  let offset = 0;
  let deadLetters = 0;
  const sink: AlertSink = {
    addBulk: async (jobs) => {
      await Promise.all(jobs.map((j) => deps.onAlert({ job: j.data as HotLeadJob, at: clock })));
      return [];
    },
  };
  const path = createScoringPath(deps.settings, {
    redis: deps.redis,
    scripts: deps.scripts,
    rules: deps.rules,
    alerts: sink,
    warehouse: noRows,
    sendDeadLetters: async (messages) => void (deadLetters += messages.length),
    metrics: createIngestMetrics(),
    log: deps.log,
    now: () => clock,
    atEventTime: true,
  });
  let day: string | undefined;
  let batches = 0;

  async function run(batch: readonly TrackedEvent[]): Promise<void> {
    if (batch.length === 0) return;
    batches++;
    const first = Date.parse((batch[0] as TrackedEvent).timestamp);
    const firstDay = deps.dayOf(first);
    if (day !== undefined && firstDay !== day && deps.onDayEnd) await deps.onDayEnd(day, first - 1);
    day = deps.dayOf(Date.parse((batch.at(-1) as TrackedEvent).timestamp));
    clock = Math.max(clock, Date.parse((batch.at(-1) as TrackedEvent).timestamp));
    const messages = batch.map((e) => ({ ...encodeEvent(e), offset: String(offset++), timestamp: String(clock), attributes: 0, size: 0 }) as unknown as KafkaMessage);
    await path.processBatch({ topic: 'replay', partition: 0, messages, highWatermark: String(offset) });
  }

  return {
    /**
     * Replays events in the order given (oldest first); returns how many. `onBatch` is awaited after each batch is
     * in the namespace, with its last event (where a resumed replay starts after); `resumed` says the namespace
     * holds a stopped replay's earlier batches.
     */
    async replay(
      events: AsyncIterable<TrackedEvent> | Iterable<TrackedEvent>,
      onProgress?: (done: number) => void,
      options: { readonly onBatch?: (done: number, last: TrackedEvent) => Promise<void>; readonly resumed?: boolean } = {},
    ): Promise<number> {
      let batch: TrackedEvent[] = [];
      let done = 0;
      const links = historyLinker({ ...(options.resumed ? { resumed: true } : {}) });
      const finish = async () => {
        await run(batch);
        done += batch.length;
        const last = batch.at(-1);
        if (last && options.onBatch) await options.onBatch(done, last);
        onProgress?.(done);
        batch = [];
      };
      // Identities a link of this batch brought a history to: their next event starts the next batch, so the history
      // is judged before it, as it was live. (Holding such events back while other leads' events fill the batch
      // makes batches ten times larger, but changes the order companies see their members' events in: measured, it
      // fired 2 alerts of 3,100 differently, so it is not done.)
      const linkedNow = new Set<string>();
      for await (const e of events) {
        const t = Date.parse(e.timestamp);
        const start = batch.length > 0 ? Date.parse((batch[0] as TrackedEvent).timestamp) : t;
        const ids = identitiesOf(e);
        const afterLink = linkedNow.size > 0 && ids.some((id) => linkedNow.has(id));
        // A new day starts a new batch too, so each day's end is seen between batches.
        if (afterLink || batch.length >= REPLAY_BATCH_EVENTS || t - start > REPLAY_BATCH_SPAN_MS || (batch.length > 0 && deps.dayOf(t) !== deps.dayOf(start))) {
          await finish();
          linkedNow.clear();
        }
        batch.push(e);
        for (const id of links(e) ?? []) linkedNow.add(id);
      }
      await finish();
      if (day !== undefined && deps.onDayEnd) await deps.onDayEnd(day, clock);
      return done;
    },
    /** Sends the firings a stopped replay marked and had not yet recorded (the outbox's own crash recovery). */
    recover: () => path.outbox.recover(),
    /** Records the scoring path refused (a replay of stored events should refuse none). */
    get deadLetters() {
      return deadLetters;
    },
    /** Batches run so far: events ÷ batches is what a replay's speed depends on. */
    get batches() {
      return batches;
    },
  };
}

/**
 * A replay into a scratch namespace (scratch.ts) with the deployment's settings: what backtest, the dry run and the
 * rescore each start from. Days are counted in the deployment's time zone.
 */
export function createScratchReplay(deps: {
  readonly redis: Redis;
  readonly settings: ScoringSettings;
  readonly scratch: string;
  readonly rules: Rules;
  readonly log: Logger;
  readonly onAlert: (alert: ReplayedAlert) => void | Promise<void>;
  readonly onDayEnd?: (day: string, endMs: number) => Promise<void>;
}) {
  const zone = deps.settings.timeZone;
  return createReplay({
    redis: deps.redis,
    scripts: definePortraitScripts(deps.redis),
    settings: { ...deps.settings, namespace: deps.scratch },
    rules: () => deps.rules,
    log: deps.log,
    dayOf: (ms) => dateOfDay(localDay(ms, zone)),
    onAlert: deps.onAlert,
    ...(deps.onDayEnd ? { onDayEnd: deps.onDayEnd } : {}),
  });
}
