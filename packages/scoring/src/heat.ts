/**
 * Heat: the sum of event weights, each decayed exponentially by the time since the EVENT happened (not since it
 * arrived), kept so that the stored state does not depend on the order events arrive in. Shuffled, late and replayed
 * batches must give the same heat, because Kafka redelivers and imports backfill.
 *
 * The trick is to store every event's weight scaled UP to a fixed epoch instead of decaying the stored sum down as
 * time passes: w·2^((t − T0)/h) is a function of the event alone, so the sum is a plain sum and order only affects
 * floating-point rounding. To keep the scaled values in range, time is cut into eras of W half-lives and each value
 * is scaled relative to its era's start; a state keeps the newest era it has seen and rescales older ones into it.
 * Rescaling multiplies by a power of two, which is exact in binary floating point (while the result stays a normal
 * number), so again only the order of the additions matters.
 *
 * The arithmetic, to be mirrored exactly in Lua (doubles there too; every product below of whole numbers stays
 * under 2^53, so it is exact in both):
 *
 *   T0 = Date.UTC(2020, 0, 1) = 1577836800000        W = 512         h = half-life, whole milliseconds
 *   contribution of an event at t (whole ms) with weight w:
 *     e      = floor((t − T0) / (W·h))                 -- corrected down by one if the division rounded up
 *     amount = w · 2^(((t − T0) − e·W·h) / h)           -- exponent in [0, W): amount ≤ |w|·2^512 ≈ |w|·1.3e154
 *   state {era, sum}; no state yet: {era = e, sum = amount}
 *     e > era:  sum = sum · 2^(−(e − era)·W) + amount;  era = e
 *     e < era:  sum = sum + amount · 2^(−(era − e)·W)
 *     e = era:  sum = sum + amount
 *   heat at `now` = sum · 2^((era·W·h − (now − T0)) / h)      (0 when sum is 0)
 *
 * Limits: a term more than about 53 half-lives older than the newest event of its class falls below the last bit of
 * the sum, which is what decay would do to it anyway; one more than 2 eras older underflows to zero. Reading at a
 * `now` hundreds of half-lives BEFORE the newest event would overflow to Infinity; event times are capped at an hour
 * ahead by the collector, so that cannot happen in the pipeline.
 */

export const HEAT_EPOCH = Date.UTC(2020, 0, 1);
/** Half-lives per era: the scaled amounts stay below 2^512, far from the double's limit of 2^1024. */
export const ERA_HALF_LIVES = 512;

export const TIERS = ['cold', 'warm', 'hot'] as const;
export type Tier = (typeof TIERS)[number];

export interface TierThresholds {
  readonly hot: number;
  readonly warm: number;
}

/** One half-life class of a portrait's heat. */
export interface HeatState {
  readonly era: number;
  readonly sum: number;
}

/** An event's weight scaled to the start of its era, ready to be added to a state. */
export interface HeatContribution {
  readonly era: number;
  readonly amount: number;
}

export class HeatInputError extends Error {
  override readonly name = 'HeatInputError';
}

function checkHalfLife(halfLifeMs: number): void {
  // Whole milliseconds keep e·W·h an exact integer; the upper bound keeps W·h itself exact.
  if (!Number.isSafeInteger(halfLifeMs) || halfLifeMs <= 0 || !Number.isSafeInteger(halfLifeMs * ERA_HALF_LIVES)) {
    throw new HeatInputError(`half-life must be a positive whole number of milliseconds, got ${halfLifeMs}`);
  }
}

export function heatContribution(eventTime: number, weight: number, halfLifeMs: number): HeatContribution {
  checkHalfLife(halfLifeMs);
  if (!Number.isFinite(eventTime)) throw new HeatInputError(`event time must be a finite number of milliseconds, got ${eventTime}`);
  if (!Number.isFinite(weight)) throw new HeatInputError(`weight must be a finite number, got ${weight}`);
  const elapsed = eventTime - HEAT_EPOCH;
  const eraMs = ERA_HALF_LIVES * halfLifeMs;
  let era = Math.floor(elapsed / eraMs);
  // The quotient can round up to the next whole number just below an era boundary; that would give a negative
  // exponent and a different era than an exact computation, so step back.
  if (era * eraMs > elapsed) era -= 1;
  return { era, amount: weight * 2 ** ((elapsed - era * eraMs) / halfLifeMs) };
}

export function addHeat(state: HeatState | undefined, c: HeatContribution): HeatState {
  if (state === undefined) return { era: c.era, sum: c.amount };
  if (c.era > state.era) return { era: c.era, sum: state.sum * 2 ** (-(c.era - state.era) * ERA_HALF_LIVES) + c.amount };
  if (c.era < state.era) return { era: state.era, sum: state.sum + c.amount * 2 ** (-(state.era - c.era) * ERA_HALF_LIVES) };
  return { era: state.era, sum: state.sum + c.amount };
}

export function heatAt(state: HeatState | undefined, halfLifeMs: number, now: number): number {
  checkHalfLife(halfLifeMs);
  // 0 · 2^big would be NaN once 2^big overflows.
  if (state === undefined || state.sum === 0) return 0;
  return state.sum * 2 ** ((state.era * ERA_HALF_LIVES * halfLifeMs - (now - HEAT_EPOCH)) / halfLifeMs);
}

/**
 * What is left at `at` of one event's weight, decayed by its half-life (nothing before the event): the share of a
 * portrait's heat that one scored event explains.
 */
export function weightLeft(weight: number, eventTime: number, halfLifeMs: number, at: number): number {
  return at < eventTime ? 0 : weight * 2 ** (-(at - eventTime) / halfLifeMs);
}

/** How a half-life class is named in a portrait's states: its half-life in whole milliseconds, in decimal. */
export function halfLifeKey(halfLifeMs: number): string {
  checkHalfLife(halfLifeMs);
  return String(halfLifeMs);
}

/** A portrait's heat: the sum over its half-life classes, keyed by `halfLifeKey`. */
export function totalHeat(states: Readonly<Record<string, HeatState>>, now: number): number {
  let total = 0;
  // Object.keys, not entries (an array per class) nor for-in (slow on keys that look like indexes, as half-lives do):
  // alert decisions sum heat dozens of times per event, since heatHeldUntil bisects on it.
  for (const key of Object.keys(states)) {
    const halfLifeMs = Number(key);
    if (String(halfLifeMs) !== key) throw new HeatInputError(`heat state key ${JSON.stringify(key)} is not a half-life in milliseconds`);
    total += heatAt(states[key], halfLifeMs, now);
  }
  return total;
}

/** Cold below `warm`; a threshold reached counts as the tier. Thresholds are the rules file's `tiers`. */
export function tierOf(heat: number, thresholds: TierThresholds): Tier {
  if (heat >= thresholds.hot) return 'hot';
  if (heat >= thresholds.warm) return 'warm';
  return 'cold';
}

/**
 * Whether heat has just crossed into `target` (or above it) between two reads. The previous tier is the caller's to
 * keep: tiers are evaluated at read time, so there is no stored "current" tier to compare against.
 */
export function crossedInto(previous: Tier | undefined, current: Tier, target: Tier): boolean {
  const rank = (tier: Tier) => TIERS.indexOf(tier);
  return rank(current) >= rank(target) && (previous === undefined || rank(previous) < rank(target));
}

/** A state with one event's terms taken out again: what the state was without that event. */
export function withoutTerms(states: Readonly<Record<string, HeatState>>, terms: readonly { readonly k: string; readonly e: number; readonly a: number }[]): Record<string, HeatState> {
  const out: Record<string, HeatState> = { ...states };
  for (const term of terms) {
    const current = out[term.k];
    if (current) out[term.k] = addHeat(current, { era: term.e, amount: -term.a });
  }
  return out;
}

/** Far enough ahead that any heat of a sane rules file has faded: 64 of the longest half-life present. */
const HORIZON_HALF_LIVES = 64;

/**
 * Until when the heat stays at or above `threshold` if nothing more happens: the first moment after `now` it falls
 * below (to the minute). `now` when it is below already. Positive classes only decay, so their sum falls below the
 * threshold at one moment, found by bisection; negative classes (careers pages, unsubscribes) fade too and can hold
 * the total up or down on the way, so with any of them present the path is walked in steps of an eighth of the
 * shortest half-life first. "Once per crossing" for tier alerts rests on this: a lead stays in its crossing until then.
 */
export function heatHeldUntil(states: Readonly<Record<string, HeatState>>, threshold: number, now: number): number {
  if (totalHeat(states, now) < threshold) return now;
  // Parsed once (totalHeat above has checked the keys): the bisection sums the classes a few dozen times, in the same
  // order as totalHeat, so the sums are the same to the last bit.
  const classes = Object.keys(states).map((k) => ({ halfLife: Number(k), state: states[k] as HeatState }));
  if (classes.length === 0) return now;
  const sumAt = (list: readonly { halfLife: number; state: HeatState }[], t: number) => {
    let total = 0;
    for (const c of list) total += heatAt(c.state, c.halfLife, t);
    return total;
  };
  const at = (t: number) => sumAt(classes, t);
  const longest = Math.max(...classes.map((c) => c.halfLife));
  const positive = classes.filter((c) => c.state.sum > 0);
  const horizon = now + HORIZON_HALF_LIVES * longest;
  const bisect = (below: (t: number) => boolean, from: number, to: number) => {
    let lo = from;
    let hi = to;
    while (hi - lo > 60_000) {
      const mid = lo + (hi - lo) / 2;
      if (below(mid)) hi = mid;
      else lo = mid;
    }
    return Math.ceil(hi);
  };
  // The positive part bounds the total from above: the total is below the threshold by then at the latest.
  const positiveBelow = (t: number) => sumAt(positive, t) < threshold;
  const bound = positiveBelow(horizon) ? bisect(positiveBelow, now, horizon) : horizon;
  if (classes.every((c) => c.state.sum >= 0)) return bound;
  const step = Math.min(...classes.map((c) => c.halfLife)) / 8;
  for (let t = now + step; t < bound; t += step) if (at(t) < threshold) return bisect((x) => at(x) < threshold, t - step, t);
  return bound;
}
