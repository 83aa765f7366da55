import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent, intakeMessage, isStorableTime, STORABLE_TIME, type IntakeOptions, type TrackedEvent } from '../src/index.ts';

// An import takes history of any age, so only the storable range limits it.
const importing: IntakeOptions = { receivedAt: new Date('2026-11-25T10:00:00.000Z'), source: { id: 'crm', kind: 'import' }, maxFutureMs: 3_600_000, maxPastMs: null };
const track = (extra: Record<string, unknown>) => ({ type: 'track', event: 'Viewed Pricing', userId: 'u1', messageId: 'm1', ...extra });

/** The bytes of a record as the collector writes it, with some fields replaced. */
function stored(extra: Partial<Record<keyof TrackedEvent, unknown>> = {}): Buffer {
  const result = intakeMessage(track({}), importing);
  if (!result.ok) throw new Error('bad fixture');
  const json = JSON.parse(encodeEvent(result.event).value.toString()) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...json, ...extra }));
}

describe('the storable time range', () => {
  it('runs from 1970-01-01T00:00:00.000Z to 2105-12-31T23:59:59.999Z, both included', () => {
    expect(new Date(STORABLE_TIME.min).toISOString()).toBe('1970-01-01T00:00:00.000Z');
    expect(new Date(STORABLE_TIME.max).toISOString()).toBe('2105-12-31T23:59:59.999Z');
    expect([isStorableTime(STORABLE_TIME.min - 1), isStorableTime(STORABLE_TIME.min), isStorableTime(STORABLE_TIME.max), isStorableTime(STORABLE_TIME.max + 1)]).toEqual([false, true, true, false]);
  });
});

describe('intake of event times the stores cannot hold', () => {
  it('refuses 1969-12-31T23:59:59Z, naming timestamp', () => {
    const result = intakeMessage(track({ timestamp: '1969-12-31T23:59:59Z' }), importing);
    expect(result).toMatchObject({ ok: false, reason: 'timestamp_out_of_range', issues: [{ path: 'timestamp', message: expect.stringContaining('1970-01-01T00:00:00.000Z') }] });
  });

  it('accepts 1970-01-01T00:00:00Z', () => {
    expect(intakeMessage(track({ timestamp: '1970-01-01T00:00:00Z' }), importing)).toMatchObject({ ok: true, event: { timestamp: '1970-01-01T00:00:00.000Z' } });
  });

  it('accepts the last millisecond of 2105 and refuses 2106-01-01T00:00:00Z', () => {
    // A collector whose clock reads the last hour of 2105, so the future limit does not decide.
    const late = { ...importing, receivedAt: new Date('2105-12-31T23:30:00.000Z') };
    expect(intakeMessage(track({ timestamp: '2105-12-31T23:59:59.999Z' }), late).ok).toBe(true);
    expect(intakeMessage(track({ timestamp: '2106-01-01T00:00:00Z' }), late)).toMatchObject({ ok: false, reason: 'timestamp_out_of_range', issues: [{ path: 'timestamp' }] });
  });

  it('names originalTimestamp when that is the time the message gave', () => {
    const result = intakeMessage(track({ originalTimestamp: '1900-01-01T00:00:00Z' }), importing);
    expect(result).toMatchObject({ ok: false, reason: 'timestamp_out_of_range', issues: [{ path: 'originalTimestamp' }] });
  });

  it('blames sentAt when only the clock correction takes the time before 1970', () => {
    // Sent "in 2090" by the client's clock: the correction moves a 2020 event back by 64 years.
    const result = intakeMessage(track({ timestamp: '2020-01-01T00:00:00Z', sentAt: '2090-01-01T00:00:00Z' }), importing);
    expect(result).toMatchObject({ ok: false, reason: 'timestamp_out_of_range', issues: [{ path: 'sentAt', message: expect.stringContaining("check the client's clock") }] });
  });

  it("keeps a device's absurd clock as sent when the corrected time can be stored", () => {
    const result = intakeMessage(track({ timestamp: '1960-01-01T00:00:00.000Z', sentAt: '1960-01-01T00:01:00.000Z' }), importing);
    expect(result).toMatchObject({ ok: true, event: { timestamp: '2026-11-25T09:59:00.000Z', originalTimestamp: '1960-01-01T00:00:00.000Z', sentAt: '1960-01-01T00:01:00.000Z' } });
  });

  it("refuses everything while the collector's own clock is outside the range, naming receivedAt", () => {
    const result = intakeMessage(track({}), { ...importing, receivedAt: new Date('1969-07-20T20:17:00Z') });
    expect(result).toMatchObject({ ok: false, reason: 'timestamp_out_of_range', issues: [{ path: 'receivedAt', message: expect.stringContaining("collector's clock") }] });
  });
});

describe('decoding records whose times the stores cannot hold', () => {
  it('refuses a timestamp of 1969-12-31T23:59:59Z as timestamp_out_of_range', () => {
    expect(decodeEvent(stored({ timestamp: '1969-12-31T23:59:59Z' }))).toMatchObject({ ok: false, reason: 'timestamp_out_of_range', issues: [{ path: 'timestamp' }] });
  });

  it('accepts a timestamp of 1970-01-01T00:00:00Z', () => {
    expect(decodeEvent(stored({ timestamp: '1970-01-01T00:00:00Z' })).ok).toBe(true);
  });

  it('refuses a receivedAt of 2106-01-01T00:00:00Z and accepts the last millisecond of 2105', () => {
    expect(decodeEvent(stored({ receivedAt: '2106-01-01T00:00:00.000Z' }))).toMatchObject({ ok: false, reason: 'timestamp_out_of_range', issues: [{ path: 'receivedAt' }] });
    expect(decodeEvent(stored({ receivedAt: '2105-12-31T23:59:59.999Z' })).ok).toBe(true);
  });

  it('calls a record with other faults too an invalid event', () => {
    expect(decodeEvent(stored({ timestamp: '1969-01-01T00:00:00Z', source: 'web' }))).toMatchObject({ ok: false, reason: 'invalid_event' });
  });

  it('reports a malformed time as malformed, not as out of range', () => {
    const result = decodeEvent(stored({ timestamp: 'yesterday' }));
    expect(result).toMatchObject({ ok: false, reason: 'invalid_event', issues: [{ path: 'timestamp', message: expect.stringContaining('ISO-8601') }] });
  });
});
