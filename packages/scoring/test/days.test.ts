import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dateOfDay, dayOfDate, isTimeZone, localDay, TimeZoneError } from '../src/index.ts';

const at = (iso: string) => Date.parse(iso);

describe('local days', () => {
  it('count days since 1970-01-01', () => {
    expect(localDay(0, 'UTC')).toBe(0);
    expect(localDay(at('2026-03-02T12:00:00Z'), 'UTC')).toBe(dayOfDate('2026-03-02'));
    expect(dateOfDay(dayOfDate('2026-03-02'))).toBe('2026-03-02');
  });

  it('change at local midnight, not at UTC midnight', () => {
    expect(localDay(at('2026-03-01T15:59:59Z'), 'Asia/Shanghai')).toBe(dayOfDate('2026-03-01'));
    expect(localDay(at('2026-03-01T16:00:00Z'), 'Asia/Shanghai')).toBe(dayOfDate('2026-03-02'));
  });

  it('can be consecutive in Shanghai and not in UTC', () => {
    const first = at('2026-02-28T17:00:00Z'); // Mar 1, 01:00 in Shanghai
    const second = at('2026-03-02T10:00:00Z'); // Mar 2, 18:00 in Shanghai
    expect(localDay(second, 'Asia/Shanghai') - localDay(first, 'Asia/Shanghai')).toBe(1);
    expect(localDay(second, 'UTC') - localDay(first, 'UTC')).toBe(2);
  });

  it('follow New York across the start of daylight saving time (a 23-hour day)', () => {
    const zone = 'America/New_York';
    expect(localDay(at('2026-03-08T04:59:59Z'), zone)).toBe(dayOfDate('2026-03-07')); // 23:59:59 EST
    expect(localDay(at('2026-03-08T05:00:00Z'), zone)).toBe(dayOfDate('2026-03-08')); // 00:00 EST
    expect(localDay(at('2026-03-09T03:59:59Z'), zone)).toBe(dayOfDate('2026-03-08')); // 23:59:59 EDT
    expect(localDay(at('2026-03-09T04:00:00Z'), zone)).toBe(dayOfDate('2026-03-09')); // 00:00 EDT
  });

  it('follow Berlin across the end of daylight saving time (a 25-hour day)', () => {
    const zone = 'Europe/Berlin';
    expect(localDay(at('2026-10-24T21:59:59Z'), zone)).toBe(dayOfDate('2026-10-24')); // 23:59:59 CEST
    expect(localDay(at('2026-10-24T22:00:00Z'), zone)).toBe(dayOfDate('2026-10-25')); // 00:00 CEST
    expect(localDay(at('2026-10-25T22:59:59Z'), zone)).toBe(dayOfDate('2026-10-25')); // 23:59:59 CET
    expect(localDay(at('2026-10-25T23:00:00Z'), zone)).toBe(dayOfDate('2026-10-26')); // 00:00 CET
  });

  it('are one apart for the same wall-clock hour on the days around a transition', () => {
    const zone = 'Europe/Berlin';
    const days = ['2026-10-24T08:00:00Z', '2026-10-25T09:00:00Z', '2026-10-26T09:00:00Z'].map((iso) => localDay(at(iso), zone));
    expect(days).toEqual([dayOfDate('2026-10-24'), dayOfDate('2026-10-25'), dayOfDate('2026-10-26')]);
  });

  it('refuse a zone the runtime does not know', () => {
    expect(() => localDay(0, 'Mars/Olympus_Mons')).toThrow(TimeZoneError);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
  });
});

describe('dates as written', () => {
  it('refuse a date that is not on the calendar', () => {
    expect(() => dayOfDate('2026-02-30')).toThrow(/not a calendar date/);
    expect(() => dayOfDate('2026-2-3')).toThrow(/not a date/);
  });
});

describe('local days, remembered per quarter hour', () => {
  const byIntl = (t: number, zone: string) => {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(t).map((p) => [p.type, p.value]));
    return dayOfDate(`${parts.year}-${parts.month}-${parts.day}`);
  };
  // Liberia kept −0:44:30 until 1972, Nepal is +5:45, São Paulo moved its clocks at midnight, Lord Howe by 30 minutes.
  const zones = ['UTC', 'Asia/Shanghai', 'Africa/Monrovia', 'Asia/Kathmandu', 'America/Sao_Paulo', 'Australia/Lord_Howe', 'America/Los_Angeles'];

  it('are the dates Intl gives, whatever was asked before', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: Date.parse('2040-01-01T00:00:00Z') }), fc.constantFrom(...zones)), { minLength: 1, maxLength: 50 }), (asks) => {
        for (const [t, zone] of [...asks, ...asks.map(([t, z]) => [t + 60_000, z] as const)]) expect(localDay(t, zone), `${new Date(t).toISOString()} ${zone}`).toBe(byIntl(t, zone));
      }),
    );
  });

  it('are right on both sides of a midnight clock change', () => {
    // São Paulo, 2018-11-04: 00:00 became 01:00.
    for (let t = Date.parse('2018-11-04T02:30:00Z'); t < Date.parse('2018-11-04T03:30:00Z'); t += 60_000) expect(localDay(t, 'America/Sao_Paulo')).toBe(byIntl(t, 'America/Sao_Paulo'));
  });
});
