/**
 * "The same page on N consecutive days": the state is the SET of local days on which the pattern was hit, so late
 * and replayed events change nothing once their day is in it, and the decision cannot depend on arrival order.
 * A streak fires once per run of consecutive days; the run is identified by its first day at the time it fired.
 */

export interface Run {
  /** First and last day of the run, as day numbers (see `localDay`). */
  readonly start: number;
  readonly end: number;
  /** Days in the run: end − start + 1. */
  readonly length: number;
}

/**
 * The run of consecutive days that contains `day`, or undefined when `day` is not in `days`. Its end is `day` itself
 * unless later days are in the set too (an event stamped just after midnight by a clock that runs ahead).
 */
export function runEndingAt(days: readonly number[], day: number): Run | undefined {
  const hit = new Set(days);
  if (!hit.has(day)) return undefined;
  let start = day;
  while (hit.has(start - 1)) start -= 1;
  let end = day;
  while (hit.has(end + 1)) end += 1;
  return { start, end, length: end - start + 1 };
}

export interface StreakInput {
  readonly days: readonly number[];
  /** Consecutive days needed, at least 1. */
  readonly n: number;
  /** Today's day number in the rules' time zone. */
  readonly today: number;
  /** Whole days that must pass after a firing before another run may fire. */
  readonly cooldownDays: number;
  /** What the caller stored when this rule last fired for this lead: the run's start and the day it fired. */
  readonly lastFired?: { readonly runStart: number; readonly day: number };
}

export type StreakDecision =
  | { readonly fire: true; readonly run: Run }
  | { readonly fire: false; readonly reason: 'no-current-run' }
  | { readonly fire: false; readonly reason: 'too-short' | 'already-fired' | 'cooling-down'; readonly run: Run };

/**
 * Whether a streak alert should go out now. Alerts are for the present, so only a run that reaches today or
 * yesterday counts (yesterday: the lead may not have come back yet today, and the run still stands). When it fires,
 * the caller stores `{ runStart: run.start, day: today }` as `lastFired`.
 */
export function streakDecision(input: StreakInput): StreakDecision {
  const { days, n, today, cooldownDays, lastFired } = input;
  const run = runEndingAt(days, today) ?? runEndingAt(days, today - 1);
  if (run === undefined) return { fire: false, reason: 'no-current-run' };
  if (run.length < n) return { fire: false, reason: 'too-short', run };
  if (lastFired !== undefined) {
    // Containment, not equality: a late event can fill a day before the fired run's start, or the gap between two
    // runs, and the merged run must not fire again.
    if (run.start <= lastFired.runStart && lastFired.runStart <= run.end) return { fire: false, reason: 'already-fired', run };
    if (today - lastFired.day < cooldownDays) return { fire: false, reason: 'cooling-down', run };
  }
  return { fire: true, run };
}
