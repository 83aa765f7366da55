import type { TrackedEvent } from '@leadscore/events';
import type { ScoringSettings } from '@leadscore/ingest/src/scoring-path.ts';
import type { Logger } from '@leadscore/log';
import { definePortraitScripts } from '@leadscore/portrait';
import { dateOfDay, localDay, type Rules } from '@leadscore/scoring';
import { claimsOf } from '@leadscore/identity';
import type { Redis } from 'ioredis';
import { createLaneRunner, identitiesOf, type Item, type ReplayedAlert, type ReplayPathDeps } from './lane-runner.ts';
import { createLanes } from './lanes.ts';

export { REPLAY_BATCH_EVENTS, REPLAY_BATCH_SPAN_MS, type ReplayedAlert } from './lane-runner.ts';

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

/**
 * Lanes a replay runs side by side by default (lanes.ts): while one waits for Redis, another works out its next
 * batch, so the replay's CPU and Redis' overlap instead of taking turns. Measured on bench:backtest: 2 lanes 67 s,
 * 4 60 s, 8 56 s, 16 53 s (Node busy 97 % of the time), 32 52 s.
 */
export const REPLAY_LANES = 16;

/** A stretch (what the lanes split and run before the next starts) ends at a new day, or at this many events. */
const STRETCH_EVENTS = 20_000;

/**
 * Events, oldest first, through the live scoring path (createScoringPath: the same Lua scripts, alert decisions and
 * outbox) into a namespace, each event applied and judged as of its own time, as if the worker had taken each from
 * Kafka as it happened. A batch ends at a first link between two profiles, so the history a link brings is judged
 * before later events, as it was live. Alerts go to `onAlert` instead of a queue. Before each batch whose first event falls
 * on a later day, `onDayEnd` sees the day that ended (for reports of each day's end).
 *
 * A day's events run in lanes (lanes.ts): events that may touch the same keys share a lane and keep their order;
 * lanes share nothing that order could change, so any number of lanes gives the same portraits and firings.
 */
export function createReplay(deps: ReplayPathDeps & {
  readonly dayOf: (ms: number) => string;
  readonly onDayEnd?: (day: string, endMs: number) => Promise<void>;
  /** Lanes run side by side (default REPLAY_LANES; 1 is the serial replay). */
  readonly lanes?: number;
}) {
  const runner = createLaneRunner(deps);
  let batches = 0;
  let deadLetters = 0;

  return {
    /**
     * Replays events in the order given (oldest first); returns how many. `onBatch` is awaited once all the events
     * up to its last one are in the namespace (where a resumed replay starts after); `resumed` says the namespace
     * holds a stopped replay's earlier events; `merges` are the merges people made the namespace was seeded with.
     */
    async replay(
      events: AsyncIterable<TrackedEvent> | Iterable<TrackedEvent>,
      onProgress?: (done: number) => void,
      options: { readonly onBatch?: (done: number, last: TrackedEvent) => Promise<void>; readonly resumed?: boolean; readonly merges?: readonly { readonly user: string; readonly into: string }[] } = {},
    ): Promise<number> {
      const linker = historyLinker({ ...(options.resumed ? { resumed: true } : {}) });
      const split = createLanes({ lanes: options.resumed ? 1 : (deps.lanes ?? REPLAY_LANES), freeMailDomains: new Set(deps.settings.freeMailDomains), ...(options.merges ? { merges: options.merges } : {}) });
      let clock = 0;
      let day: string | undefined;
      let done = 0;
      let stretch: Item[] = [];
      let stretchDay = '';
      const flush = async () => {
        const last = stretch.at(-1)?.event;
        if (!last) return;
        const first = Date.parse((stretch[0] as Item).event.timestamp);
        if (day !== undefined && stretchDay !== day && deps.onDayEnd) await deps.onDayEnd(day, first - 1);
        const since = clock;
        const work = split.split(stretch).flatMap((items, lane) => (items.length > 0 ? [{ lane, items }] : []));
        const took = await runner.runStretch(work, since, (n) => onProgress?.((done += n)));
        batches += took.batches;
        deadLetters += took.deadLetters;
        clock = Math.max(clock, Date.parse(last.timestamp));
        day = deps.dayOf(Date.parse(last.timestamp));
        stretch = [];
        if (options.onBatch) await options.onBatch(done, last);
      };
      for await (const event of events) {
        const eventDay = deps.dayOf(Date.parse(event.timestamp));
        // A new day starts a new stretch, so each day's end is seen between stretches.
        if (stretch.length > 0 && (eventDay !== stretchDay || stretch.length >= STRETCH_EVENTS)) await flush();
        if (stretch.length === 0) stretchDay = eventDay;
        stretch.push({ event, linked: linker(event) });
      }
      await flush();
      if (day !== undefined && deps.onDayEnd) await deps.onDayEnd(day, clock);
      return done;
    },
    /** Sends the firings a stopped replay marked and had not yet recorded (the outbox's own crash recovery). */
    recover: () => runner.recover(),
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
  readonly lanes?: number;
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
    ...(deps.lanes !== undefined ? { lanes: deps.lanes } : {}),
  });
}
