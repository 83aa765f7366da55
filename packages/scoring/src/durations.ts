/**
 * Durations in the rules file are written as a whole number and a unit (`90m`, `12h`, `7d`), because people edit
 * the file and `604800000` says nothing to them. After parsing, every duration is a whole number of milliseconds.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
type Unit = keyof typeof UNIT_MS;

const DURATION = /^(\d+)(ms|s|m|h|d|w)$/;

export const DAY_MS = UNIT_MS.d;

export class DurationError extends Error {
  override readonly name = 'DurationError';
  constructor(readonly text: string) {
    super(`${JSON.stringify(text)} is not a duration; expected a whole number and a unit (ms, s, m, h, d, w), e.g. 90m, 12h or 7d`);
  }
}

/** Milliseconds in `text` (`90m` → 5 400 000). Zero is allowed here; whether it makes sense is the caller's call. */
export function parseDuration(text: string): number {
  const found = DURATION.exec(text.trim());
  if (!found) throw new DurationError(text);
  const ms = Number(found[1]) * UNIT_MS[found[2] as Unit];
  // Past 2^53 ms the value is no longer a whole number, and the heat arithmetic relies on whole half-lives.
  if (!Number.isSafeInteger(ms)) throw new DurationError(text);
  return ms;
}

/** The shortest exact spelling of a duration, for messages and explanations (`5400000` → `90m`). */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    if (ms !== 0 && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
