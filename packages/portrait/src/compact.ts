/**
 * The compact encodings of values in a portrait's state hash, as the Lua scripts write them (includes/portrait.lua):
 * every value stays under Redis's 64-byte limit for its compact hash encoding, which one longer value would give up
 * for the whole hash (a lead's state then takes four times the memory).
 */

/** A whole number in base 36: an event time in ms takes 8 characters instead of 13. */
export const toBase36 = (n: number): string => n.toString(36);
export const fromBase36 = (text: string): number => parseInt(text, 36);

/** Days a streak rule keeps: those within this many days up to its newest hit. */
export const STREAK_WINDOW = 62;

/** `sd:<rule>`: '<newest day>:<bits 0-30>:<bits 31-61>' in base 36, bit i for the day i days before the newest. */
export function encodeStreakDays(days: readonly number[]): string {
  if (days.length === 0) return '';
  const newest = Math.max(...days);
  let lo = 0;
  let hi = 0;
  for (const day of new Set(days)) {
    const i = newest - day;
    if (i >= STREAK_WINDOW) continue;
    if (i < 31) lo += 2 ** i;
    else hi += 2 ** (i - 31);
  }
  return `${toBase36(newest)}:${toBase36(lo)}:${toBase36(hi)}`;
}

/** The days of `sd:<rule>`, oldest first. */
export function decodeStreakDays(text: string): number[] {
  const parts = text.split(':');
  if (parts.length !== 3) return [];
  const [newest, lo, hi] = parts.map(fromBase36) as [number, number, number];
  const days: number[] = [];
  for (let i = STREAK_WINDOW - 1; i >= 0; i--) {
    const bit = i < 31 ? Math.floor(lo / 2 ** i) % 2 : Math.floor(hi / 2 ** (i - 31)) % 2;
    if (bit === 1) days.push(newest - i);
  }
  return days;
}

/** `bt:<tag>`: the newest times (ms) of the tag's matching events, base 36, newest first. */
export function decodeTagTimes(text: string | undefined): number[] {
  return (text ?? '').split(',').filter(Boolean).map(fromBase36);
}

export function encodeTagTimes(times: readonly number[]): string {
  return [...times].sort((a, b) => b - a).map(toBase36).join(',');
}
