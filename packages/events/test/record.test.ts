import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deadLetter, deadLetterSchema, decodeEvent, encodeDeadLetter, encodeEvent, intakeMessage, originalBytes, storedEventSchema, trackedEventSchema, type TrackedEvent } from '../src/index.ts';

function event(extra: Record<string, unknown> = {}): TrackedEvent {
  const result = intakeMessage(
    { type: 'page', anonymousId: 'anon-1', messageId: 'm1', name: 'Pricing', context: { page: { url: 'https://x.co/pricing' } }, ...extra },
    { receivedAt: new Date('2026-11-25T10:00:00Z'), source: { id: 'web', kind: 'segment' }, maxFutureMs: 3_600_000, maxPastMs: null },
  );
  if (!result.ok) throw new Error('bad fixture');
  return result.event;
}

describe('events topic records', () => {
  it('are keyed by userId, else anonymousId', () => {
    expect(encodeEvent(event()).key).toBe('anon-1');
    expect(encodeEvent(event({ userId: 'u1' })).key).toBe('u1');
  });

  it('carry schema version, source, type and message id in headers', () => {
    expect(encodeEvent(event()).headers).toEqual({ 'schema-version': '1', source: 'web', type: 'page', 'message-id': 'm1', 'content-type': 'application/json' });
  });

  it('decode back to the same event', () => {
    const record = encodeEvent(event());
    expect(decodeEvent(record.value, record.headers)).toEqual({ ok: true, event: event() });
  });

  it('decode as the wire schema would, whatever optional fields, nulls and numeric ids the sender used', () => {
    const optional = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined });
    const message = fc.record({
      type: fc.constantFrom('page', 'track', 'identify'),
      event: fc.constant('Pricing Viewed'),
      userId: fc.oneof(fc.constant(null), fc.string({ minLength: 1, maxLength: 5 }), fc.integer({ min: 1 })),
      anonymousId: fc.string({ minLength: 1, maxLength: 5 }),
      name: optional(fc.oneof(fc.constant(null), fc.string({ maxLength: 5 }))),
      // fast-check sometimes makes a __proto__ key, which intake refuses (see storable-json.test.ts).
      properties: optional(fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 1 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')))),
      context: optional(fc.record({ ip: optional(fc.constant('198.51.100.7')), groupId: optional(fc.oneof(fc.constant(null), fc.integer({ min: 1 }))), page: optional(fc.record({ path: fc.constant('/pricing'), title: fc.oneof(fc.constant(null), fc.constant('Pricing')) })) })),
      extra: optional(fc.string()),
    });
    fc.assert(
      fc.property(message, (m) => {
        const record = encodeEvent(event(m));
        const json: unknown = JSON.parse(record.value.toString());
        // Compared after the JSON round trip, which the record takes too (JSON has no -0).
        expect(storedEventSchema.parse(json)).toEqual(trackedEventSchema.parse(json));
        expect(decodeEvent(record.value, record.headers)).toEqual({ ok: true, event: trackedEventSchema.parse(json) });
      }),
    );
  });

  it('still take records with nulls and numeric ids, which only the wire schema accepts', () => {
    const value = encodeEvent(event()).value;
    const lenient = { ...JSON.parse(value.toString()), userId: 42, context: { ip: null } };
    expect(decodeEvent(Buffer.from(JSON.stringify(lenient)))).toMatchObject({ ok: true, event: { userId: '42', context: {} } });
  });

  it('refuse bytes that are not JSON', () => {
    expect(decodeEvent(Buffer.from('{nope'))).toMatchObject({ ok: false, reason: 'invalid_json' });
  });

  it('refuse an event of another schema version', () => {
    expect(decodeEvent(encodeEvent(event()).value, { 'schema-version': Buffer.from('2') })).toMatchObject({ ok: false, reason: 'unknown_schema_version' });
  });

  it('refuse JSON that is not an event, naming the fields', () => {
    const result = decodeEvent(Buffer.from(JSON.stringify({ type: 'page', anonymousId: 'a' })));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['messageId', 'timestamp', 'receivedAt', 'source']));
  });
});

describe('dead letters', () => {
  it('keep the original bytes exactly, even when they are not UTF-8', () => {
    const original = Buffer.from([0xff, 0xfe, 0x00, 0x7b]);
    const letter = deadLetter({ reason: 'invalid_json', message: 'not JSON', stage: 'ingest', original, origin: { topic: 't', partition: 2, offset: '17', key: 'u1' } });
    expect(deadLetterSchema.parse(letter)).toEqual(letter);
    expect(originalBytes(letter).equals(original)).toBe(true);
  });

  it('are keyed like the original record and carry the reason in a header', () => {
    const letter = deadLetter({ reason: 'invalid_message', message: 'bad', stage: 'collector', sourceId: 'web', original: '{}', origin: { topic: 't', partition: 0, offset: '1', key: 'u1' } });
    const record = encodeDeadLetter(letter);
    expect(record.key).toBe('u1');
    expect(record.headers.reason).toBe('invalid_message');
  });
});

describe('a dead letter of a big record', () => {
  it('keeps the first 512 KB of the original, with the size and hash of the whole, so it fits where the record did', () => {
    const original = Buffer.alloc(900 * 1024, 'x');
    const letter = deadLetter({ reason: 'invalid_unicode', message: 'm'.repeat(100_000), stage: 'ingest', original, origin: { topic: 't', partition: 0, offset: '7', key: null } });
    expect(originalBytes(letter)).toHaveLength(512 * 1024);
    expect(letter.truncated).toEqual({ bytes: original.length, sha256: createHash('sha256').update(original).digest('hex') });
    expect(encodeDeadLetter(letter).value.length).toBeLessThan(1_000_000);
    expect(deadLetterSchema.parse(letter)).toEqual(letter);
  });
});
