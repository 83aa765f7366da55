import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from '../src/index.ts';

describe('durations', () => {
  it('are read as whole milliseconds', () => {
    expect(parseDuration('90m')).toBe(5_400_000);
    expect(parseDuration('12h')).toBe(43_200_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('2w')).toBe(1_209_600_000);
  });

  it('refuse anything but a whole number and a unit', () => {
    for (const text of ['7', '1.5d', '7 days', '-1d', '']) expect(() => parseDuration(text)).toThrow(DurationError);
  });

  it('are written back in their largest exact unit', () => {
    expect(formatDuration(5_400_000)).toBe('90m');
    expect(formatDuration(604_800_000)).toBe('1w');
    expect(formatDuration(1_500)).toBe('1500ms');
  });
});
