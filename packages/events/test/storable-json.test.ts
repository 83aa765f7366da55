import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent, findUnstorable, intakeBatch, intakeMessage, MAX_NESTING, mayBeUnstorable, type IntakeOptions } from '../src/index.ts';

const options: IntakeOptions = { receivedAt: new Date('2026-11-25T10:00:00.000Z'), source: { id: 'web', kind: 'segment' }, maxFutureMs: 3_600_000, maxPastMs: 30 * 86_400_000 };
/** What a request body becomes: JSON text parsed, so `\ud800` escapes and `__proto__` keys arrive as they would. */
const parsed = (json: string): unknown => JSON.parse(json);
const identify = (fields: string) => parsed(`{"type":"identify","userId":"u1","messageId":"m1",${fields}}`);

/** A record of the events topic with its text edited, as anyone with access to the topic could produce it. */
function record(edit: (json: string) => string = (j) => j): Buffer {
  const result = intakeMessage({ type: 'track', event: 'Viewed Pricing', userId: 'u1', messageId: 'm1', properties: { plan: 'pro' } }, options);
  if (!result.ok) throw new Error('bad fixture');
  return Buffer.from(edit(encodeEvent(result.event).value.toString()));
}

/** Every string and key of a value, at any depth. */
function* texts(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const v of value) yield* texts(v);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      yield k;
      yield* texts(v);
    }
  }
}

const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe('intake of a lone UTF-16 surrogate', () => {
  it('refuses one in the event name, naming event', () => {
    const result = intakeMessage(parsed('{"type":"track","userId":"u1","event":"Signed \\ud800Up"}'), options);
    expect(result).toMatchObject({ ok: false, reason: 'invalid_unicode', issues: [{ path: 'event', message: expect.stringContaining('\\ud800 at character 7') }] });
  });

  it('refuses one in a trait key, naming the key escaped', () => {
    const result = intakeMessage(identify('"traits":{"\\ud800":"x"}'), options);
    expect(result).toMatchObject({ ok: false, reason: 'invalid_unicode', issues: [{ path: 'traits.\\ud800' }] });
  });

  it('refuses one in a value deep inside a list', () => {
    const result = intakeMessage(identify('"traits":{"langs":["en","\\udc00"]}'), options);
    expect(result).toMatchObject({ ok: false, reason: 'invalid_unicode', issues: [{ path: 'traits.langs[1]' }] });
  });

  it('takes a surrogate pair, which is one character', () => {
    expect(intakeMessage(identify('"traits":{"mood":"\\ud83d\\ude00"}'), options)).toMatchObject({ ok: true, event: { traits: { mood: '😀' } } });
  });

  it('refuses the one message of a batch that has one, under its batch path', () => {
    const result = intakeBatch(parsed('{"batch":[{"type":"track","userId":"u1","event":"ok"},{"type":"track","userId":"u1","event":"x","properties":{"\\ud800":1}}]}'), options);
    expect(result).toMatchObject({ accepted: [{ event: 'ok' }], rejected: [{ index: 1, reason: 'invalid_unicode', issues: [{ path: 'batch[1].properties.\\ud800' }] }] });
  });

  it('refuses a whole batch whose batch-wide context has one', () => {
    const result = intakeBatch(parsed('{"batch":[{"type":"track","userId":"u1","event":"ok"}],"context":{"locale":"\\ud800"}}'), options);
    expect(result).toMatchObject({ reason: 'invalid_unicode', invalid: { path: 'context.locale' } });
  });
});

describe('intake of __proto__ and other keys JavaScript objects have', () => {
  it('refuses a __proto__ key in traits, naming it', () => {
    const result = intakeMessage(identify('"traits":{"__proto__":{"email":"ceo@victim.example"}}'), options);
    expect(result).toMatchObject({ ok: false, reason: 'invalid_message', issues: [{ path: 'traits.__proto__', message: expect.stringContaining('prototype') }] });
  });

  it('refuses a __proto__ key in context, naming it', () => {
    const result = intakeMessage(identify('"context":{"__proto__":{"ip":"10.0.0.1"}}'), options);
    expect(result).toMatchObject({ ok: false, reason: 'invalid_message', issues: [{ path: 'context.__proto__' }] });
  });

  it('refuses a __proto__ key at the top of a message', () => {
    expect(intakeMessage(identify('"__proto__":{"userId":"someone-else"}'), options)).toMatchObject({ ok: false, issues: [{ path: '__proto__' }] });
  });

  it('refuses a whole batch whose batch-wide context has a __proto__ key', () => {
    const result = intakeBatch(parsed('{"batch":[{"type":"track","userId":"u1","event":"ok"}],"context":{"__proto__":{"ip":"10.0.0.1"}}}'), options);
    expect(result).toMatchObject({ reason: 'invalid_batch', invalid: { path: 'context.__proto__' } });
  });

  it('keeps constructor, prototype and toString keys as plain data of a plain object', () => {
    const result = intakeMessage(parsed('{"type":"track","userId":"u1","event":"x","properties":{"constructor":{"prototype":{"polluted":1}},"toString":"a","hasOwnProperty":2}}'), options);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const properties = (result.event as { properties: Record<string, unknown> }).properties;
    expect(Object.getPrototypeOf(properties)).toBe(Object.prototype);
    expect(Object.keys(properties)).toEqual(['constructor', 'toString', 'hasOwnProperty']);
    expect(JSON.parse(JSON.stringify(result.event))).toEqual(result.event);
  });

  it('leaves every other object of the process as it was', () => {
    intakeMessage(identify('"traits":{"__proto__":{"polluted":1}},"context":{"__proto__":{"polluted":1}}'), options);
    intakeMessage(parsed('{"type":"track","userId":"u1","event":"x","properties":{"constructor":{"prototype":{"polluted":1}}}}'), options);
    decodeEvent(record((j) => j.replace('"plan":"pro"', '"__proto__":{"polluted":1}')));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('intake of deep nesting', () => {
  it(`takes ${MAX_NESTING} levels, the message itself being the first`, () => {
    expect(intakeMessage(identify(`"traits":{"deep":${nested(MAX_NESTING - 2)}}`), options).ok).toBe(true);
  });

  it('refuses one level more, naming where it goes too deep', () => {
    const result = intakeMessage(identify(`"traits":{"deep":${nested(MAX_NESTING - 1)}}`), options);
    expect(result).toMatchObject({ ok: false, reason: 'invalid_message', issues: [{ path: `traits.deep${'[0]'.repeat(MAX_NESTING - 2)}`, message: expect.stringContaining(`${MAX_NESTING} levels`) }] });
  });

  it('refuses nesting too deep for JSON.stringify without throwing', () => {
    const result = intakeMessage(identify(`"traits":{"deep":${nested(20_000)}}`), options);
    expect(result).toMatchObject({ ok: false, reason: 'invalid_message' });
  });
});

describe('decoding hostile records', () => {
  /** The record with these bytes in place of the property value `pro`. */
  const withBytes = (bytes: number[]) => {
    const [before, after] = record().toString().split('"pro"') as [string, string];
    return Buffer.concat([Buffer.from(`${before}"`), Buffer.from(bytes), Buffer.from(`"${after}`)]);
  };

  it('refuses bytes that are not UTF-8', () => {
    expect(decodeEvent(withBytes([0xc3, 0x28]))).toMatchObject({ ok: false, reason: 'invalid_unicode', message: expect.stringContaining('UTF-8') });
  });

  it('refuses a surrogate encoded in UTF-8 bytes (CESU-8), which UTF-8 does not allow', () => {
    expect(decodeEvent(withBytes([0xed, 0xa0, 0x80]))).toMatchObject({ ok: false, reason: 'invalid_unicode' });
  });

  it('refuses a lone surrogate escape in the event name, naming event', () => {
    expect(decodeEvent(record((j) => j.replace('"Viewed Pricing"', '"Viewed \\ud800"')))).toMatchObject({ ok: false, reason: 'invalid_unicode', issues: [{ path: 'event' }] });
  });

  it('refuses a lone surrogate escape in a property key, naming the key escaped', () => {
    expect(decodeEvent(record((j) => j.replace('"plan"', '"\\udfff"')))).toMatchObject({ ok: false, reason: 'invalid_unicode', issues: [{ path: 'properties.\\udfff' }] });
  });

  it('takes a surrogate pair written as escapes', () => {
    expect(decodeEvent(record((j) => j.replace('"pro"', '"\\ud83d\\ude00"')))).toMatchObject({ ok: true, event: { properties: { plan: '😀' } } });
  });

  it('refuses a __proto__ key, also one written with escapes', () => {
    expect(decodeEvent(record((j) => j.replace('"plan":"pro"', '"__proto__":{"x":1}')))).toMatchObject({ ok: false, reason: 'invalid_event', issues: [{ path: 'properties.__proto__' }] });
    expect(decodeEvent(record((j) => j.replace('"plan":"pro"', '"\\u005f_proto__":{"x":1}')))).toMatchObject({ ok: false, reason: 'invalid_event', issues: [{ path: 'properties.__proto__' }] });
  });

  it('keeps a constructor key as plain data', () => {
    const decoded = decodeEvent(record((j) => j.replace('"plan":"pro"', '"constructor":{"prototype":{"x":1}}')));
    expect(decoded).toMatchObject({ ok: true, event: { properties: { constructor: { prototype: { x: 1 } } } } });
  });

  it('refuses nesting deeper than JSON.stringify can go, without throwing', () => {
    expect(decodeEvent(record((j) => j.replace('"pro"', nested(20_000))))).toMatchObject({ ok: false, reason: 'invalid_event', issues: [{ path: expect.stringMatching(/^properties\.plan\[0\]/) }] });
  });

  it('does not walk an ordinary record', () => {
    expect(mayBeUnstorable(record().toString())).toBe(false);
  });
});

describe('decodeEvent on arbitrary input', () => {
  // Any code point, and now and then half of a surrogate pair on its own; mostly text where text belongs, so that
  // about half the events are good and the other half refused for one reason or another.
  const unit = fc.oneof(
    { weight: 400, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  );
  const anyText = fc.string({ unit, maxLength: 8 });
  const json = fc.jsonValue({ maxDepth: 3, stringUnit: unit });
  const text = fc.oneof({ weight: 6, arbitrary: anyText.filter((t) => t.length > 0) }, { weight: 1, arbitrary: json });
  const base = (() => {
    const result = intakeMessage({ type: 'track', event: 'x', userId: 'u1', messageId: 'm1' }, options);
    if (!result.ok) throw new Error('bad fixture');
    return result.event as Record<string, unknown>;
  })();
  const hostile = fc.record(
    {
      event: text,
      userId: text,
      properties: fc.oneof({ weight: 6, arbitrary: fc.dictionary(anyText, json, { maxKeys: 4 }) }, { weight: 1, arbitrary: json }),
      context: fc.oneof({ weight: 6, arbitrary: fc.dictionary(anyText, json, { maxKeys: 4 }) }, { weight: 1, arbitrary: json }),
      timestamp: fc.oneof(fc.constant(base.timestamp), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), anyText),
    },
    { requiredKeys: [] },
  );
  const refusals = ['invalid_json', 'invalid_unicode', 'invalid_event', 'timestamp_out_of_range'];

  it('never throws, and either refuses or gives an event of well-formed text only', () => {
    fc.assert(
      fc.property(hostile, (fields) => {
        const decoded = decodeEvent(Buffer.from(JSON.stringify({ ...base, ...fields })));
        if (!decoded.ok) {
          expect(refusals).toContain(decoded.reason);
          return;
        }
        for (const t of texts(decoded.event)) expect(t.isWellFormed()).toBe(true);
        expect(findUnstorable(decoded.event)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(typeof decodeEvent(Buffer.from(bytes)).ok).toBe('boolean');
      }),
    );
  });
});
