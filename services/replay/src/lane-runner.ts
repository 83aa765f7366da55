import type { KafkaMessage } from 'kafkajs';
import { validateEvent, type HotLeadJob, type TrackedEvent } from '@leadscore/events';
import { claimsOf } from '@leadscore/identity';
import { createIngestMetrics } from '@leadscore/ingest/src/metrics.ts';
import { LinkCache } from '@leadscore/ingest/src/link-cache.ts';
import { createScoringPath, type ScoringPath, type ScoringSettings } from '@leadscore/ingest/src/scoring-path.ts';
import type { Logger } from '@leadscore/log';
import type { AlertSink, PortraitScripts } from '@leadscore/portrait';
import type { Rules } from '@leadscore/scoring';
import type { Redis } from 'ioredis';

/** A batch ends at this many events, or when its events span this long: the clock is its newest event's time. */
export const REPLAY_BATCH_EVENTS = 500;
export const REPLAY_BATCH_SPAN_MS = 86_400_000;

/**
 * An alert the replay's outbox released: the job the live path would have enqueued, at the time of the event that
 * fired it (the same however the events were batched).
 */
export interface ReplayedAlert {
  readonly job: HotLeadJob;
  readonly at: number;
}

/** An event of a stretch, with the identities it brought a history to (historyLinker), decided in the events' order. */
export interface Item {
  readonly event: TrackedEvent;
  readonly linked: readonly string[] | undefined;
}

/** A stretch's events of one lane. */
export interface LaneWork {
  readonly lane: number;
  readonly items: readonly Item[];
}

/** What a stretch took: batches run and records the scoring path refused. */
export interface StretchDone {
  readonly batches: number;
  readonly deadLetters: number;
}

/** Runs a stretch's lanes side by side; `since` is the replay's clock when the stretch began. */
export interface LaneRunner {
  runStretch(work: readonly LaneWork[], since: number, onEvents: (events: number) => void): Promise<StretchDone>;
  /** Sends the firings a stopped replay marked and had not yet recorded (the outbox's own crash recovery). */
  recover(): Promise<unknown>;
}

/** A record of a replay: the event rebuilt from its row, handed to the scoring path as it is (see `decode`). */
type ReplayMessage = KafkaMessage & { readonly event: TrackedEvent };

/** The identities an event speaks for, as the linker keys them. */
export function identitiesOf(event: TrackedEvent): string[] {
  const c = claimsOf(event);
  return [...(c.userId ? [`u\t${c.userId}`] : []), ...(c.email ? [`e\t${c.email}`] : []), ...(c.anonymousId ? [`a\t${c.anonymousId}`] : [])];
}

/** What a replay's scoring paths are made of. */
export interface ReplayPathDeps {
  readonly redis: Redis;
  readonly scripts: PortraitScripts;
  readonly settings: ScoringSettings;
  readonly rules: () => Rules;
  readonly log: Logger;
  /** Awaited before the outbox marks the firing sent: a durable recorder loses none to a crash. */
  readonly onAlert: (alert: ReplayedAlert) => void | Promise<void>;
}

/**
 * Lanes run in this thread, each through its own live scoring path (createScoringPath: the same Lua scripts, alert
 * decisions and outbox) with its own clock, so a lane's clock never runs ahead on another lane's events. Each event is
 * applied and judged as of its own time; alerts go to `onAlert` instead of a queue.
 */
export function createLaneRunner(deps: ReplayPathDeps): LaneRunner {
  let offset = 0;
  let deadLetters = 0;
  let batches = 0;
  const links = new LinkCache();
  function laneOf() {
    const lane = { clock: 0, path: undefined as unknown as ScoringPath, times: new Map<string, number>() };
    const sink: AlertSink = {
      addBulk: async (jobs) => {
        await Promise.all(jobs.map((j) => deps.onAlert({ job: j.data as HotLeadJob, at: lane.times.get((j.data as HotLeadJob).messageId) ?? lane.clock })));
        return [];
      },
    };
    lane.path = createScoringPath(deps.settings, {
      redis: deps.redis,
      scripts: deps.scripts,
      rules: deps.rules,
      alerts: sink,
      decode: (message) => validateEvent((message as unknown as ReplayMessage).event),
      links,
      sendDeadLetters: async (messages) => void (deadLetters += messages.length),
      metrics: createIngestMetrics(),
      log: deps.log,
      now: () => lane.clock,
      atEventTime: true,
    });
    return lane;
  }
  type Lane = ReturnType<typeof laneOf>;
  const lanes = new Map<number, Lane>();
  const lane = (i: number) => lanes.get(i) ?? (lanes.set(i, laneOf()).get(i) as Lane);

  async function run(on: Lane, batch: readonly TrackedEvent[], since: number): Promise<void> {
    if (batch.length === 0) return;
    batches++;
    on.clock = Math.max(on.clock, since, Date.parse((batch.at(-1) as TrackedEvent).timestamp));
    on.times.clear();
    for (const event of batch) on.times.set(event.messageId, Date.parse(event.timestamp));
    const messages = batch.map((event) => ({ key: null, value: null, headers: {}, offset: String(offset++), timestamp: String(on.clock), attributes: 0, size: 0, event }) as unknown as KafkaMessage);
    await on.path.processBatch({ topic: 'replay', partition: 0, messages, highWatermark: String(offset) });
  }

  /**
   * One lane's events of a stretch in batches: a batch ends at the next event of an identity a link of the batch
   * brought a history to (so the history is judged before it, as it was live), or at the batch's size or span.
   */
  async function runLane(on: Lane, items: readonly Item[], since: number, onEvents: (events: number) => void): Promise<void> {
    let batch: TrackedEvent[] = [];
    const linkedNow = new Set<string>();
    const finish = async () => {
      await run(on, batch, since);
      onEvents(batch.length);
      batch = [];
      linkedNow.clear();
    };
    for (const { event, linked } of items) {
      const t = Date.parse(event.timestamp);
      const start = batch.length > 0 ? Date.parse((batch[0] as TrackedEvent).timestamp) : t;
      // (Holding such events back while other leads' events fill the batch makes batches ten times larger, but
      // changes the order companies see their members' events in: measured, it fired 2 alerts of 3,100 differently.)
      if ((linkedNow.size > 0 && identitiesOf(event).some((id) => linkedNow.has(id))) || batch.length >= REPLAY_BATCH_EVENTS || t - start > REPLAY_BATCH_SPAN_MS) await finish();
      batch.push(event);
      for (const id of linked ?? []) linkedNow.add(id);
    }
    await finish();
  }

  return {
    async runStretch(work, since, onEvents) {
      const [b, d] = [batches, deadLetters];
      await Promise.all(work.map((w) => runLane(lane(w.lane), w.items, since, onEvents)));
      return { batches: batches - b, deadLetters: deadLetters - d };
    },
    recover: () => lane(0).path.outbox.recover(),
  };
}
