import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { hostileStrings } from './hostile-strings.ts';

/**
 * fast-check arbitraries of hostile input for the collector's routes and the ingest worker's decoder: random and
 * hostile JSON, and plausible Segment messages with hostile mutations, as HTTP requests (route, auth, encoding, body
 * bytes) and as raw records of the events topic. Used by the seeded fuzz run (`pnpm fuzz`, scripts/fuzz-run.ts) and
 * by the property tests of packages/events.
 *
 * Bodies are generated as a small JSON syntax tree and written to text by `jsonText`, not by JSON.stringify, so that
 * what JSON.stringify cannot write reaches the collector as a client could send it:
 *   - `__proto__` (and `constructor`, `prototype`) as real own keys of the text, also escaped (`"\u005f_proto__"`);
 *   - lone UTF-16 surrogates (`"\ud800"` escapes) in strings and keys;
 *   - `NaN`, `Infinity`, `-0`, `1e400` written into the text;
 *   - the same key twice in one object;
 *   - nesting up to ~200 levels; strings up to ~100 KB (some bodies beyond the 32 KB message and 500 KB batch limits);
 *   - bytes that are not UTF-8.
 * Everything is a pure function of the fast-check seed but for two things resolved when the text is written (see
 * `WriteContext`): times relative to the clock of the run (`TimeFromNow`), since the collector judges times against
 * its own, and fresh message ids (`FreshId`), numbered by the case, so that ids meant to be unique are.
 */

// --- the JSON syntax tree ---------------------------------------------------------------------------------------------

/** JSON text written as is: an escape, a literal JSON.stringify would never write, a deep nest. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** An object as ordered key/value pairs: a key may repeat (JSON.parse keeps the last) or be raw text (an escape). */
export class JsonEntries {
  constructor(readonly entries: readonly (readonly [key: string | RawJson, value: JsonNode])[]) {}
}

/** A date-time this many ms from the writer's clock, in one of the ISO-8601 forms the collector takes. */
export class TimeFromNow {
  constructor(
    readonly offsetMs: number,
    readonly style: 0 | 1 | 2 | 3 = 0,
  ) {}
}

/** A message id unique to the case (`<prefix>-<case>-<n>`), given when the text is written. */
export class FreshId {
  constructor(readonly prefix: string) {}
}

export type JsonNode = null | boolean | number | string | RawJson | JsonEntries | TimeFromNow | FreshId | readonly JsonNode[] | { readonly [key: string]: JsonNode };

export interface WriteContext {
  /** The clock TimeFromNow is counted from (epoch ms). */
  readonly now: number;
  /** Names the case in fresh ids. */
  readonly caseId: string;
  /** Fresh ids handed out so far (the writer counts up). */
  counter?: number;
}

const isPlainObject = (v: unknown): v is { readonly [key: string]: JsonNode } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RawJson) && !(v instanceof JsonEntries) && !(v instanceof TimeFromNow) && !(v instanceof FreshId);

/** Sets `key` as an own, enumerable property, whatever its name (`__proto__` included): what JSON.parse does. */
export function own<T extends object>(target: T, key: string, value: unknown): T {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

function timeText(t: TimeFromNow, now: number): string {
  const date = new Date(now + t.offsetMs);
  const iso = date.toISOString();
  switch (t.style) {
    case 1:
      return iso.replace('T', ' ');
    case 2: {
      // The same instant at +02:00.
      const shifted = new Date(date.getTime() + 2 * 3_600_000).toISOString();
      return `${shifted.slice(0, 23)}+02:00`;
    }
    case 3:
      return `${iso.slice(0, 19)}Z`;
    default:
      return iso;
  }
}

/** Writes the tree as JSON text; every case of a run writes its tree with its own context. */
export function jsonText(node: JsonNode, ctx: WriteContext): string {
  const parts: string[] = [];
  const write = (n: JsonNode): void => {
    if (n === null || typeof n === 'boolean') parts.push(String(n));
    else if (typeof n === 'number') parts.push(JSON.stringify(n));
    else if (typeof n === 'string') parts.push(JSON.stringify(n));
    else if (n instanceof RawJson) parts.push(n.text);
    else if (n instanceof TimeFromNow) parts.push(JSON.stringify(timeText(n, ctx.now)));
    else if (n instanceof FreshId) {
      ctx.counter = (ctx.counter ?? 0) + 1;
      parts.push(JSON.stringify(`${n.prefix}-${ctx.caseId}-${ctx.counter}`));
    } else if (Array.isArray(n)) {
      parts.push('[');
      n.forEach((item, i) => {
        if (i > 0) parts.push(',');
        write(item);
      });
      parts.push(']');
    } else if (n instanceof JsonEntries) {
      parts.push('{');
      n.entries.forEach(([key, value], i) => {
        if (i > 0) parts.push(',');
        parts.push(key instanceof RawJson ? key.text : JSON.stringify(key), ':');
        write(value);
      });
      parts.push('}');
    } else {
      parts.push('{');
      Object.keys(n).forEach((key, i) => {
        if (i > 0) parts.push(',');
        parts.push(JSON.stringify(key), ':');
        write((n as Record<string, JsonNode>)[key] as JsonNode);
      });
      parts.push('}');
    }
  };
  write(node);
  return parts.join('');
}

// --- bodies ------------------------------------------------------------------------------------------------------------

/** What a request body or record value holds, before it is written to bytes (see `bodyBytes`). */
export type BodySpec =
  | { readonly kind: 'json'; readonly node: JsonNode }
  /** Text that is not (or not quite) JSON: NaN literals, truncated text, a lone comma. */
  | { readonly kind: 'text'; readonly text: string }
  /** JSON text with bytes that are not UTF-8 spliced in at `at` (0…1 of its length). */
  | { readonly kind: 'corrupt'; readonly node: JsonNode; readonly at: number; readonly bytes: readonly number[] }
  /** JSON text cut short after `keep` (0…1) of it. */
  | { readonly kind: 'truncated'; readonly node: JsonNode; readonly keep: number }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  /** `{"batch":[node, node, …]}` with `count` copies: a batch over the message count limit, cheaply. */
  | { readonly kind: 'many'; readonly count: number; readonly node: JsonNode }
  | { readonly kind: 'empty' };

export function bodyBytes(body: BodySpec, ctx: WriteContext): Buffer {
  switch (body.kind) {
    case 'json':
      return Buffer.from(jsonText(body.node, ctx));
    case 'text':
      return Buffer.from(body.text);
    case 'corrupt': {
      const text = Buffer.from(jsonText(body.node, ctx));
      const at = Math.floor(body.at * text.length);
      return Buffer.concat([text.subarray(0, at), Buffer.from(body.bytes), text.subarray(at)]);
    }
    case 'truncated': {
      const text = Buffer.from(jsonText(body.node, ctx));
      return text.subarray(0, Math.floor(body.keep * text.length));
    }
    case 'bytes':
      return Buffer.from(body.bytes);
    case 'many': {
      const one = jsonText(body.node, ctx);
      return Buffer.from(`{"batch":[${Array.from({ length: body.count }, () => one).join(',')}]}`);
    }
    case 'empty':
      return Buffer.alloc(0);
  }
}

// --- cases -------------------------------------------------------------------------------------------------------------

export const SINGLE_ROUTES = ['/v1/track', '/v1/page', '/v1/identify', '/v1/group', '/v1/alias', '/v1/t', '/v1/p', '/v1/i'] as const;
export const BATCH_ROUTES = ['/v1/batch', '/v1/import'] as const;
export type FuzzRoute = (typeof SINGLE_ROUTES)[number] | (typeof BATCH_ROUTES)[number];

/** HTTP Basic with the write key, the import key, a key nobody has; no header; a header that is no Basic. */
export type Authorization = 'write' | 'import' | 'wrong' | 'none' | 'malformed';
/** How the body is sent: as is, compressed, or labelled compressed without being (`gzip-lie`), or in an unknown coding. */
export type Encoding = 'identity' | 'gzip' | 'deflate' | 'gzip-lie' | 'br';

export interface HttpCase {
  readonly kind: 'http';
  readonly route: FuzzRoute;
  readonly auth: Authorization;
  readonly encoding: Encoding;
  /** null: none sent. */
  readonly contentType: string | null;
  readonly body: BodySpec;
}

/** A record produced straight to the events topic, as anyone with access to it could. */
export interface RecordCase {
  readonly kind: 'record';
  /** Taken modulo the topic's partitions. */
  readonly partition: number;
  readonly key: string | null;
  /** null: a record without a value. */
  readonly value: BodySpec | null;
  readonly headers: Readonly<Record<string, string>>;
}

export type FuzzCase = HttpCase | RecordCase;

export interface HostileSettings {
  readonly writeKey: string;
  readonly importKey: string;
  /** The browser source's identity secret (context.userHash = HMAC-SHA256(userId, secret)). */
  readonly identitySecret: string;
}

// --- leaves ------------------------------------------------------------------------------------------------------------

const CONTROL = ['\t', '\n', '\r', '\0', '\u2028', '\u2029', '\x1b', '\x7f', '\ufeff', '\u200b', '\b', '\f', '\v'] as const;
const POLLUTING_KEYS = ['__proto__', 'constructor', 'prototype'] as const;
/** Keys that are names on Object.prototype or otherwise special to JavaScript code that handles them carelessly. */
const SPECIAL_KEYS = [...POLLUTING_KEYS, '__defineGetter__', '__lookupSetter__', 'hasOwnProperty', 'isPrototypeOf', 'toString', 'valueOf', 'toJSON', 'then', 'length', 'polluted'] as const;
/** The key `__proto__` written with escapes, so only a reader that decodes escapes sees it. */
const ESCAPED_PROTO = ['"\\u005f_proto__"', '"__pro\\u0074o__"', '"\\u005F\\u005Fproto\\u005F\\u005F"'] as const;
/** What a polluting key carries: what would show on every object if it reached a prototype. */
export const POLLUTION_PROBES = ['polluted', 'isAdmin', 'pwned'] as const;

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** Text with a lone surrogate in it (JSON.stringify writes it as a `\udXXX` escape). */
const withLoneSurrogate = fc.tuple(fc.string({ maxLength: 6 }), loneSurrogate, fc.string({ maxLength: 6 })).map(([a, s, b]) => `${a}${s}${b}`);

/** The same as raw text, also in forms JSON.stringify never writes (upper-case hex, a reversed pair). */
const rawLoneSurrogate = fc.constantFrom('"\\ud800"', '"\\uDFFF"', '"x\\udc00y"', '"\\ude00\\ud83d"', '"\\ud83d"', '"\\uDBFF\\u0041"').map((t) => new RawJson(t));

/** A valid surrogate pair written as escapes: must be taken. */
const rawSurrogatePair = fc.constantFrom('"\\ud83d\\ude00"', '"caf\\u00e9 \\uD83D\\uDD25"').map((t) => new RawJson(t));

const withControl = fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom(...CONTROL), fc.string({ maxLength: 8 })).map(([a, c, b]) => `${a}${c}${b}`);

/** Strings up to ~100 KB of one repeated unit; some units expand when escaped (a NUL is six bytes of JSON). */
export const hugeString = fc
  .record({
    unit: fc.constantFrom('a', 'é', '客', '🔥', '\\', '"', '\n', '\0', 'ab\tc'),
    length: fc.oneof({ arbitrary: fc.integer({ min: 1_000, max: 30_000 }), weight: 3 }, { arbitrary: fc.integer({ min: 30_000, max: 34_000 }), weight: 2 }, { arbitrary: fc.integer({ min: 34_000, max: 100_000 }), weight: 1 }),
  })
  .map(({ unit, length }) => unit.repeat(Math.max(1, Math.ceil(length / unit.length))));

export const hostileString: fc.Arbitrary<JsonNode> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 20 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 2 },
  { arbitrary: fc.constantFrom(...hostileStrings.filter((s) => s.length < 1_000)), weight: 2 },
  { arbitrary: withControl, weight: 2 },
  { arbitrary: withLoneSurrogate, weight: 1 },
  { arbitrary: rawLoneSurrogate, weight: 1 },
  { arbitrary: rawSurrogatePair, weight: 1 },
  { arbitrary: fc.constantFrom(...SPECIAL_KEYS, 'null', 'undefined', 'NaN', '-0', 'email:x', '', ' '), weight: 1 },
);

/** Numbers JSON.stringify cannot write (NaN, Infinity are not JSON at all: the whole body is refused). */
const rawNumber = fc
  .constantFrom('NaN', 'Infinity', '-Infinity', '-0', '-0.0', '1e400', '-1e400', '1e-400', '123456789012345678901234567890', '9007199254740993', '0.1e1', '1E2', '-', '01', '.5', '+1', '0x10')
  .map((t) => new RawJson(t));
/** The ones of those JSON.parse takes (-0, 1e400 as Infinity, huge integers rounded). */
const rawValidNumber = fc.constantFrom('-0', '-0.0', '1e400', '-1e400', '1e-400', '123456789012345678901234567890', '9007199254740993', '0.1e1', '1E2').map((t) => new RawJson(t));

export const hostileNumber: fc.Arbitrary<JsonNode> = fc.oneof(
  { arbitrary: fc.integer(), weight: 3 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 3 },
  { arbitrary: fc.constantFrom(0, -1, 1.5, Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308, 5e-324, 1e15, 1e15 + 1, 2 ** 63), weight: 2 },
  { arbitrary: rawValidNumber, weight: 2 },
  { arbitrary: rawNumber, weight: 1 },
);

export const hostileScalar: fc.Arbitrary<JsonNode> = fc.oneof(
  { arbitrary: hostileString, weight: 5 },
  { arbitrary: hostileNumber, weight: 3 },
  { arbitrary: fc.constantFrom<JsonNode>(null, true, false), weight: 2 },
);

export const hostileKey: fc.Arbitrary<string | RawJson> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 10 }), weight: 6 },
  { arbitrary: fc.constantFrom(...SPECIAL_KEYS), weight: 3 },
  { arbitrary: fc.constantFrom(...ESCAPED_PROTO).map((t) => new RawJson(t)), weight: 1 },
  { arbitrary: withLoneSurrogate, weight: 1 },
  { arbitrary: withControl, weight: 1 },
  { arbitrary: fc.constantFrom('', ' ', 'a.b', '[0]', 'batch', 'type', 'userId', 'messageId'), weight: 1 },
);

/** Brackets nested `depth` deep around a leaf, written as text (around the collector's limit of 100 more often). */
export const deepNesting: fc.Arbitrary<JsonNode> = fc
  .record({
    depth: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 97, max: 104 })),
    shape: fc.constantFrom('array', 'object', 'mixed'),
    leaf: fc.constantFrom('1', 'null', '"x"', '[]', '{}', '"\\ud800"', '{"__proto__":{"polluted":"yes"}}'),
  })
  .map(({ depth, shape, leaf }) => {
    const open: string[] = [];
    const close: string[] = [];
    for (let i = 0; i < depth; i++) {
      const array = shape === 'array' || (shape === 'mixed' && i % 2 === 0);
      open.push(array ? '[' : '{"a":');
      close.push(array ? ']' : '}');
    }
    return new RawJson(`${open.join('')}${leaf}${close.reverse().join('')}`);
  });

/** An object whose keys would pollute a prototype if assigned carelessly, with the probes as its values. */
export const pollutingObject: fc.Arbitrary<JsonNode> = fc
  .record({ key: fc.oneof(fc.constantFrom<string | RawJson>(...POLLUTING_KEYS), fc.constantFrom(...ESCAPED_PROTO).map((t) => new RawJson(t))), nested: fc.boolean(), probe: fc.constantFrom(...POLLUTION_PROBES) })
  .map(({ key, nested, probe }) => {
    const payload: JsonNode = own({}, probe, 'yes');
    // `constructor.prototype.x`, the other way to reach Object.prototype.
    const value: JsonNode = nested ? own({}, 'prototype', payload) : payload;
    return new JsonEntries([[key, value]]);
  });

/** Random JSON, hostile at every level: special keys, repeated keys, odd numbers and strings, deep nests. */
export const hostileJson: fc.Arbitrary<JsonNode> = fc.letrec<{ node: JsonNode; object: JsonNode; array: JsonNode }>((tie) => ({
  node: fc.oneof(
    { depthIdentifier: 'hostile-json', maxDepth: 4 },
    { arbitrary: hostileScalar, weight: 6 },
    { arbitrary: tie('object'), weight: 3 },
    { arbitrary: tie('array'), weight: 2 },
    { arbitrary: pollutingObject, weight: 1 },
    { arbitrary: deepNesting, weight: 1 },
  ),
  object: fc.array(fc.tuple(hostileKey, tie('node')), { maxLength: 5, depthIdentifier: 'hostile-json' }).map((entries) => new JsonEntries(entries)),
  array: fc.array(tie('node'), { maxLength: 5, depthIdentifier: 'hostile-json' }),
})).node;

// --- plausible messages ------------------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;

/** Event times a browser key may send (within the last 25 days, up to 30 min ahead), in the ISO forms taken. */
const recentTime = fc.record({ offset: fc.integer({ min: -25 * DAY_MS, max: 30 * 60_000 }), style: fc.constantFrom<0 | 1 | 2 | 3>(0, 0, 0, 1, 2, 3) }).map(({ offset, style }) => new TimeFromNow(offset, style));

/** Times the stores cannot hold, or that are not times at all. */
export const hostileTime: fc.Arbitrary<JsonNode> = fc.oneof(
  fc.constantFrom<JsonNode>(
    '1969-12-31T23:59:59Z',
    '1969-12-31T23:59:59.999Z',
    '1970-01-01T00:00:00Z',
    '1970-01-01T00:00:00.000+00:00',
    '0001-01-01T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2105-12-31T23:59:59.999Z',
    '2106-01-01T00:00:00Z',
    '2106-02-07T06:28:16Z',
    '2262-04-11T23:47:16.854Z',
    '9999-12-31T23:59:59.999Z',
    '+275760-09-13T00:00:00.000Z',
    '-000001-01-01T00:00:00Z',
    '2024-13-45T99:99:99Z',
    '2024-02-30T00:00:00Z',
    '2024-03-01T09:00:00',
    '2024-03-01',
    'yesterday',
    '',
    'T',
    '2024-03-01T09:00:00.123456789123456789Z',
    '1e12',
  ),
  fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms).toISOString()),
  fc.integer({ min: -4e12, max: 4e12 }),
  fc.record({ years: fc.integer({ min: 1, max: 200 }), sign: fc.constantFrom(-1, 1) }).map(({ years, sign }) => new TimeFromNow(sign * years * 365 * DAY_MS)),
  hostileScalar,
);

/** A small pool of people, so events meet in portraits, identities link and companies fill. */
const userId = fc.integer({ min: 0, max: 400 }).map((n) => `user-${n}`);
const anonymousId = fc.integer({ min: 0, max: 1_500 }).map((n) => `anon-${n}`);
const email = fc.record({ n: fc.integer({ min: 0, max: 600 }), free: fc.boolean() }).map(({ n, free }) => `person${n}@${free ? 'gmail.com' : `company${n % 60}.example`}`);
const companyId = fc.integer({ min: 0, max: 80 }).map((n) => `company-${n}`);

/** Message ids: unique to the case mostly; from a small shared pool sometimes (the same id, other bodies); none. */
const messageId = fc.oneof({ arbitrary: fc.constant<JsonNode>(new FreshId('fz')), weight: 12 }, { arbitrary: fc.integer({ min: 0, max: 60 }).map((n) => `dup-${n}`), weight: 2 }, { arbitrary: fc.constant<JsonNode>(null), weight: 1 });

const PAGES = ['/', '/pricing', '/docs/getting-started', '/customers', '/security', '/demo', '/blog/lead-scoring-101'] as const;

const context = fc.record(
  {
    ip: fc.constantFrom('198.51.100.7', '203.0.113.9', '10.1.2.3', '2001:db8::1', 'not an ip'),
    userAgent: fc.constantFrom('Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0', 'Googlebot/2.1 (+http://www.google.com/bot.html)', 'curl/8.0'),
    locale: fc.constantFrom('en-US', 'de-DE', 'zh-CN'),
    library: fc.constantFrom({ name: 'analytics.js', version: '5.2.0' }, { name: 'leadscore-tracker', version: '1.0.0' }, { name: 'analytics-node', version: '2.3.0' }),
    page: fc.constantFrom(...PAGES).map((path) => ({ path, url: `https://www.acme.example${path}`, title: path, referrer: 'https://www.google.com/' })),
    campaign: fc.constant({ source: 'newsletter', medium: 'email', name: 'q3-launch' }),
    groupId: companyId,
  },
  { requiredKeys: [] },
);

/** Consent as consent managers state it: granted mostly, withheld sometimes (then the message is dropped, counted). */
const consent = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 30 },
  { arbitrary: fc.constantFrom<JsonNode>({ analytics: true }, { categoryPreferences: { Analytics: true } }), weight: 2 },
  { arbitrary: fc.constantFrom<JsonNode>({ categoryPreferences: { Analytics: false } }, { analytics: 'denied' }, { analytics_storage: 'denied' }), weight: 1 },
);

const traits = fc.record({ email, name: fc.constantFrom('Ana Schmidt', 'Chen Wang', '客户'), title: fc.constantFrom('CTO', 'VP Engineering', 'Developer'), company: fc.constantFrom('Acme', 'Globex', 'Initech'), budget: fc.constantFrom('10k-50k', '100k+') }, { requiredKeys: [] });

/** Who a message names: a user, a visitor, both, an email only (forms), or nobody. */
const who = fc.oneof(
  { arbitrary: fc.record({ userId }), weight: 4 },
  { arbitrary: fc.record({ anonymousId }), weight: 4 },
  { arbitrary: fc.record({ userId, anonymousId }), weight: 3 },
  { arbitrary: fc.constant({}), weight: 1 },
);

const trackEvent = fc.oneof(
  { arbitrary: fc.record({ event: fc.constantFrom('Viewed Pricing', 'Feature Used', 'Signed Up', 'Demo Requested', 'Pricing Viewed'), properties: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean()), { maxKeys: 4 }) }), weight: 5 },
  { arbitrary: fc.record({ event: fc.constant('Form Submitted'), properties: fc.record({ form_id: fc.constantFrom('demo-request', 'contact', 7), email, name: fc.constant('Ana'), company: fc.constant('Acme'), budget: fc.constantFrom('<10k', 100_000) }, { requiredKeys: ['form_id'] }) }), weight: 2 },
  { arbitrary: fc.record({ event: fc.constantFrom('Email Opened', 'Email Link Clicked'), properties: fc.record({ email_id: fc.integer({ min: 0, max: 30 }).map((n) => `mail-${n}`), campaign_id: fc.constant('cmp-1'), link_url: fc.constant('https://www.acme.example/pricing') }, { requiredKeys: ['email_id'] }) }), weight: 2 },
  {
    arbitrary: fc.record({
      event: fc.constant('Order Completed'),
      properties: fc.record({ order_id: fc.integer({ min: 0, max: 300 }).map((n) => `order-${n}`), revenue: fc.integer({ min: 0, max: 5_000_000 }).map((c) => c / 100), currency: fc.constantFrom('USD', 'eur', 'CNY'), products: fc.constant([{ sku: 'seat', quantity: 3, price: 49.5 }]) }, { requiredKeys: ['order_id', 'revenue'] }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ event: fc.constant('Order Refunded'), properties: fc.record({ order_id: fc.integer({ min: 0, max: 300 }).map((n) => `order-${n}`), amount: fc.integer({ min: 0, max: 100_000 }) }) }), weight: 1 },
);

const userHash = (id: string, secret: string) => createHmac('sha256', secret).update(id).digest('hex');

/**
 * A Segment message most of which a collector takes from some key: page, screen, track (with the product's own
 * events, orders among them), identify, group and alias, at a recent time, from a small pool of people. Traits of a
 * user carry context.userHash most of the time, as a site's backend would sign them.
 */
export type PlausibleType = 'page' | 'screen' | 'track' | 'identify' | 'group' | 'alias';

const PLAUSIBLE_BODIES: readonly { readonly type: PlausibleType; readonly weight: number; readonly arbitrary: fc.Arbitrary<Record<string, JsonNode>> }[] = [
  { type: 'page', weight: 6, arbitrary: fc.record({ type: fc.constant('page'), name: fc.constantFrom('Pricing', 'Home', 'Docs'), properties: fc.constantFrom(...PAGES).map((path) => ({ path, url: `https://www.acme.example${path}` })) }) },
  { type: 'screen', weight: 1, arbitrary: fc.record({ type: fc.constant('screen'), name: fc.constantFrom('Dashboard', 'Settings') }) },
  { type: 'track', weight: 6, arbitrary: fc.tuple(fc.constant('track'), trackEvent).map(([type, t]) => ({ type, ...t })) },
  { type: 'identify', weight: 3, arbitrary: fc.record({ type: fc.constant('identify'), traits }) },
  { type: 'group', weight: 2, arbitrary: fc.record({ type: fc.constant('group'), groupId: companyId, traits: fc.record({ name: fc.constantFrom('Acme', 'Globex'), industry: fc.constant('software'), employees: fc.integer({ min: 1, max: 5_000 }) }, { requiredKeys: [] }) }) },
  { type: 'alias', weight: 1, arbitrary: fc.record({ type: fc.constant('alias'), previousId: anonymousId }) },
];

/**
 * A Segment message most of which a collector takes from some key: page, screen, track (with the product's own
 * events, orders among them), identify, group and alias (or only the given types), at a recent time, from a small pool
 * of people. Traits of a user carry context.userHash most of the time, as a site's backend would sign them.
 */
export function plausibleMessage(settings: HostileSettings, types?: readonly PlausibleType[]): fc.Arbitrary<Record<string, JsonNode>> {
  const body = fc.oneof(...PLAUSIBLE_BODIES.filter((b) => !types || types.includes(b.type)).map(({ arbitrary, weight }) => ({ arbitrary, weight })));
  return fc
    .record({
      body,
      who,
      messageId,
      timestamp: fc.oneof({ arbitrary: recentTime, weight: 5 }, { arbitrary: fc.constant(undefined), weight: 2 }),
      sentAt: fc.oneof({ arbitrary: fc.constant(undefined), weight: 5 }, { arbitrary: fc.integer({ min: -120_000, max: 120_000 }).map((o) => new TimeFromNow(o)), weight: 1 }),
      context: fc.option(context, { nil: undefined, freq: 3 }),
      consent,
      signed: fc.integer({ min: 0, max: 9 }),
      contextTraits: fc.oneof({ arbitrary: fc.constant(undefined), weight: 8 }, { arbitrary: traits, weight: 1 }),
    })
    .map(({ body, who, messageId, timestamp, sentAt, context, consent, signed, contextTraits }) => {
      const message: Record<string, JsonNode> = { ...body, ...who };
      // An alias names the user the visitor becomes.
      if (body.type === 'alias' && message.userId === undefined) message.userId = 'user-alias';
      if (messageId !== null) message.messageId = messageId;
      if (timestamp !== undefined) message.timestamp = timestamp;
      if (sentAt !== undefined) message.sentAt = sentAt;
      const ctx: Record<string, JsonNode> = { ...(context ?? {}) };
      if (contextTraits) ctx.traits = contextTraits;
      if (consent !== undefined) ctx.consent = consent;
      if (typeof message.userId === 'string' && signed < 7) ctx.userHash = userHash(message.userId, settings.identitySecret);
      if (Object.keys(ctx).length > 0) message.context = ctx;
      return message;
    });
}

// --- mutations ---------------------------------------------------------------------------------------------------------

type Path = readonly string[];

const FIELD_PATHS: readonly Path[] = [
  ['type'],
  ['userId'],
  ['anonymousId'],
  ['messageId'],
  ['event'],
  ['name'],
  ['timestamp'],
  ['sentAt'],
  ['originalTimestamp'],
  ['context'],
  ['context', 'page'],
  ['context', 'page', 'url'],
  ['context', 'ip'],
  ['context', 'userAgent'],
  ['context', 'traits'],
  ['context', 'consent'],
  ['context', 'groupId'],
  ['context', 'library'],
  ['context', 'library', 'name'],
  ['context', 'campaign'],
  ['context', 'userHash'],
  ['properties'],
  ['properties', 'revenue'],
  ['properties', 'total'],
  ['properties', 'order_id'],
  ['properties', 'currency'],
  ['properties', 'products'],
  ['properties', 'email'],
  ['properties', 'form_id'],
  ['properties', 'email_id'],
  ['traits'],
  ['traits', 'email'],
  ['traits', 'company'],
  ['groupId'],
  ['previousId'],
  ['integrations'],
  ['receivedAt'],
  ['source'],
  ['flags'],
];
const CONTAINER_PATHS: readonly Path[] = [[], ['properties'], ['traits'], ['context'], ['context', 'traits'], ['context', 'page'], ['integrations'], ['properties', 'nested', 'deeper']];
const STRING_PATHS: readonly Path[] = [['userId'], ['anonymousId'], ['messageId'], ['event'], ['name'], ['context', 'page', 'title'], ['context', 'userAgent'], ['properties', 'note'], ['traits', 'title'], ['context', 'traits', 'name'], ['groupId'], ['previousId']];
const NUMBER_PATHS: readonly Path[] = [['properties', 'revenue'], ['properties', 'total'], ['properties', 'amount'], ['properties', 'x'], ['traits', 'employees'], ['properties', 'products', 'quantity']];
const ID_FIELDS = ['userId', 'anonymousId', 'messageId', 'groupId', 'previousId'] as const;
const TIME_FIELDS = ['timestamp', 'sentAt', 'originalTimestamp'] as const;

/** One hostile change to a message, as data (so a counterexample prints what was done). */
export type Mutation =
  | { readonly op: 'set'; readonly path: Path; readonly value: JsonNode }
  | { readonly op: 'delete'; readonly path: Path }
  | { readonly op: 'key'; readonly path: Path; readonly key: string | RawJson; readonly value: JsonNode }
  | { readonly op: 'repeat'; readonly key: string; readonly value: JsonNode };

const pick = <T>(items: readonly T[]) => fc.constantFrom(...items);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // a wrong type (or any hostile value) for a field
  { arbitrary: fc.record({ op: fc.constant('set' as const), path: pick(FIELD_PATHS), value: hostileJson }), weight: 20 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), path: pick(FIELD_PATHS) }), weight: 6 },
  // __proto__, constructor, prototype anywhere
  { arbitrary: fc.record({ op: fc.constant('key' as const), path: pick(CONTAINER_PATHS), key: fc.oneof(pick(POLLUTING_KEYS), pick(ESCAPED_PROTO).map((t) => new RawJson(t))), value: fc.oneof(pollutingObject, hostileScalar, fc.constant<JsonNode>({ polluted: 'yes' })) }), weight: 8 },
  // lone surrogates in values and keys
  { arbitrary: fc.record({ op: fc.constant('set' as const), path: pick(STRING_PATHS), value: fc.oneof(withLoneSurrogate, rawLoneSurrogate, rawSurrogatePair) }), weight: 5 },
  { arbitrary: fc.record({ op: fc.constant('key' as const), path: pick(CONTAINER_PATHS), key: withLoneSurrogate, value: fc.constant<JsonNode>('x') }), weight: 2 },
  // NaN, Infinity, -0, 1e400 written into the text
  { arbitrary: fc.record({ op: fc.constant('set' as const), path: pick(NUMBER_PATHS), value: fc.oneof(rawNumber, rawValidNumber, hostileNumber) }), weight: 5 },
  // times before 1970, far ahead, malformed; clock corrections that push them out
  { arbitrary: fc.record({ op: fc.constant('set' as const), path: pick(TIME_FIELDS).map((f) => [f] as Path), value: hostileTime }), weight: 9 },
  // ids with tabs, newlines, NUL; too long; empty; numeric
  { arbitrary: fc.record({ op: fc.constant('set' as const), path: pick(ID_FIELDS).map((f) => [f] as Path), value: fc.oneof(withControl, hostileString, fc.integer({ min: 255, max: 258 }).map((n) => 'u'.repeat(n)), fc.integer(), fc.double()) }), weight: 9 },
  // the same messageId with another body
  { arbitrary: fc.record({ op: fc.constant('set' as const), path: fc.constant(['messageId'] as Path), value: fc.integer({ min: 0, max: 20 }).map((n) => `dup-${n}`) }), weight: 4 },
  // consent withheld
  { arbitrary: fc.record({ op: fc.constant('set' as const), path: fc.constant(['context', 'consent'] as Path), value: fc.constantFrom<JsonNode>({ categoryPreferences: { Analytics: false } }, { analytics: 'denied' }, { ANALYTICS: 'false' }, { analytics_storage: 0 }) }), weight: 2 },
  // huge strings, deep nesting
  { arbitrary: fc.record({ op: fc.constant('set' as const), path: fc.oneof(pick(STRING_PATHS), fc.constant(['properties', 'blob'] as Path)), value: hugeString }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('set' as const), path: fc.oneof(pick(CONTAINER_PATHS.filter((p) => p.length > 0)).map((p) => [...p, 'deep'] as Path), fc.constant(['context'] as Path)), value: deepNesting }), weight: 3 },
  // a key written twice
  { arbitrary: fc.record({ op: fc.constant('repeat' as const), key: fc.constantFrom('type', 'userId', 'messageId', 'timestamp', 'event', 'context', '__proto__'), value: hostileScalar }), weight: 3 },
);

function copyObject(source: JsonNode | undefined): Record<string, JsonNode> {
  const copy: Record<string, JsonNode> = {};
  if (isPlainObject(source)) for (const key of Object.keys(source)) own(copy, key, source[key]);
  return copy;
}

/** The message with `value` at `path` (objects along it copied, created or replaced), or removed when undefined. */
function atPath(message: Record<string, JsonNode>, path: Path, value: JsonNode | undefined, key?: string | RawJson): JsonNode {
  if (path.length === 0) {
    if (key === undefined) return value === undefined ? message : (value as JsonNode);
    // A key added as text (an escape) or one that repeats: the object becomes ordered entries.
    if (key instanceof RawJson) return new JsonEntries([...Object.keys(message).map((k) => [k, message[k] as JsonNode] as const), [key, value as JsonNode]]);
    return own(copyObject(message), key, value);
  }
  const [head, ...rest] = path as [string, ...string[]];
  const copy = copyObject(message);
  if (rest.length === 0 && key === undefined) {
    if (value === undefined) delete copy[head];
    else own(copy, head, value);
    return copy;
  }
  own(copy, head, atPath(copyObject(copy[head]), rest, value, key));
  return copy;
}

export function applyMutations(message: Record<string, JsonNode>, mutations: readonly Mutation[]): JsonNode {
  let out: JsonNode = message;
  // Keys written as text and repeated keys turn an object into entries, which later paths cannot enter: they go last.
  const ordered = [...mutations].sort((a, b) => Number(a.op === 'repeat' || a.op === 'key') - Number(b.op === 'repeat' || b.op === 'key'));
  for (const m of ordered) {
    if (!isPlainObject(out)) break;
    const current = out as Record<string, JsonNode>;
    switch (m.op) {
      case 'set':
        out = atPath(current, m.path, m.value);
        break;
      case 'delete':
        out = atPath(current, m.path, undefined);
        break;
      case 'key':
        out = atPath(current, m.path, m.value, m.key);
        break;
      case 'repeat':
        out = new JsonEntries([...Object.keys(current).map((k) => [k, current[k] as JsonNode] as const), [m.key, m.value]]);
        break;
    }
  }
  return out;
}

/** A plausible message (of the given types), untouched about half the time, else with one to three hostile mutations. */
export function hostileMessage(settings: HostileSettings, types?: readonly PlausibleType[]): fc.Arbitrary<JsonNode> {
  return fc
    .tuple(plausibleMessage(settings, types), fc.oneof({ arbitrary: fc.constant<Mutation[]>([]), weight: 11 }, { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 1 }), weight: 6 }, { arbitrary: fc.array(mutation, { minLength: 2, maxLength: 3 }), weight: 3 }))
    .map(([message, mutations]) => applyMutations(message, mutations));
}

// --- bodies of requests and records --------------------------------------------------------------------------------------

/** Bytes that are not UTF-8: a stray continuation byte, an overlong form, a surrogate encoded, a cut sequence, … */
const invalidUtf8 = fc.constantFrom<readonly number[]>([0xff], [0xfe, 0xff], [0x80], [0xc0, 0x80], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe9]);

/** Text that is not JSON at all, or not quite. */
const notJson = fc.oneof(
  fc.constantFrom('NaN', 'Infinity', '{"batch":[NaN]}', '{"userId":"u1","event":"x","properties":{"n":Infinity}}', "{'a':1}", '{"a":1,}', '[', '{', '"', 'null', 'undefined', '\ufeff{}', ' ', '\0', '{"a":1}{"b":2}', '{"batch":[{"type":"track"'),
  fc.string({ maxLength: 40 }),
);

/** Not UTF-8, not JSON, cut short, nothing: what a body can be besides a JSON value. */
function brokenBody(inner: fc.Arbitrary<JsonNode>): fc.Arbitrary<BodySpec> {
  return fc.oneof(
    fc.record({ kind: fc.constant('corrupt' as const), node: inner, at: fc.double({ min: 0, max: 1, noNaN: true }), bytes: invalidUtf8 }),
    fc.record({ kind: fc.constant('truncated' as const), node: inner, keep: fc.double({ min: 0, max: 0.999, noNaN: true }) }),
    fc.record({ kind: fc.constant('text' as const), text: notJson }),
    fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
    fc.constant({ kind: 'empty' as const }),
  );
}

/** `{ batch: [...] }` with, sometimes, the batch-wide context, integrations, sentAt and writeKey, or a hostile shape. */
function batchBody(settings: HostileSettings, message: fc.Arbitrary<JsonNode>): fc.Arbitrary<JsonNode> {
  const messages = fc.oneof({ arbitrary: fc.array(message, { maxLength: 12 }), weight: 20 }, { arbitrary: fc.array(message, { minLength: 30, maxLength: 120 }), weight: 1 });
  const writeKey = fc.constantFrom(settings.writeKey, settings.importKey, 'wk_nobody', '', 42 as unknown as string);
  const plain = fc
    .record(
      {
        batch: messages,
        context: fc.oneof({ arbitrary: fc.constantFrom<JsonNode>({ library: { name: 'analytics-node', version: '2.3.0' } }, { ip: '10.9.8.7' }, { page: { path: '/' } }), weight: 8 }, { arbitrary: fc.constant<JsonNode>({ consent: { analytics: false } }), weight: 1 }, { arbitrary: hostileJson, weight: 1 }),
        integrations: fc.oneof({ arbitrary: fc.constant<JsonNode>({ All: true }), weight: 8 }, { arbitrary: hostileJson, weight: 1 }),
        sentAt: fc.oneof({ arbitrary: fc.integer({ min: -120_000, max: 120_000 }).map((o): JsonNode => new TimeFromNow(o)), weight: 6 }, { arbitrary: hostileTime, weight: 1 }),
        writeKey,
      },
      { requiredKeys: ['batch'] },
    )
    .map((b) => b as JsonNode);
  return fc.oneof(
    { arbitrary: plain, weight: 30 },
    // batch of the wrong type, bodies that are no object
    { arbitrary: fc.record({ batch: hostileJson }).map((b) => b as JsonNode), weight: 1 },
    { arbitrary: hostileJson, weight: 1 },
    { arbitrary: fc.array(message, { maxLength: 3 }).map((b) => b as JsonNode), weight: 1 },
    { arbitrary: fc.tuple(messages, pollutingObject).map(([batch, polluting]) => new JsonEntries([['batch', batch], ['__proto__', polluting]])), weight: 1 },
  );
}

/** The type a single-message route implies. */
const ROUTE_TYPES: Readonly<Record<(typeof SINGLE_ROUTES)[number], PlausibleType>> = {
  '/v1/track': 'track',
  '/v1/page': 'page',
  '/v1/identify': 'identify',
  '/v1/group': 'group',
  '/v1/alias': 'alias',
  '/v1/t': 'track',
  '/v1/p': 'page',
  '/v1/i': 'identify',
};

/**
 * A request to one of the collector's routes: a batch (of 0 to 12 messages mostly, sometimes 30 to 120, rarely over
 * the 2,500 limit) or a single message of the route's type mostly; hostile JSON, a body of the other kind, or a body
 * that is not UTF-8, not JSON, cut short or empty otherwise. Mostly with the key the route wants; some with the other
 * key, a wrong one, none, or a header that is no Basic; some compressed, some claiming a compression they lack.
 */
export function hostileHttpCase(settings: HostileSettings): fc.Arbitrary<HttpCase> {
  const anyMessage = hostileMessage(settings);
  const auth = fc.oneof({ arbitrary: fc.constant<Authorization>('write'), weight: 16 }, { arbitrary: fc.constant<Authorization>('import'), weight: 2 }, { arbitrary: fc.constantFrom<Authorization>('wrong', 'none', 'malformed'), weight: 1 });
  const encoding = fc.oneof({ arbitrary: fc.constant<Encoding>('identity'), weight: 40 }, { arbitrary: fc.constant<Encoding>('gzip'), weight: 6 }, { arbitrary: fc.constant<Encoding>('deflate'), weight: 1 }, { arbitrary: fc.constantFrom<Encoding>('gzip-lie', 'br'), weight: 1 });
  const contentType = fc.oneof({ arbitrary: fc.constant<string | null>('application/json'), weight: 10 }, { arbitrary: fc.constantFrom<string | null>('text/plain', null, 'application/json; charset=latin1', 'multipart/form-data', '*/*'), weight: 1 });
  const json = (node: fc.Arbitrary<JsonNode>) => node.map((n): BodySpec => ({ kind: 'json', node: n }));

  const batchBodies = fc.oneof(
    { arbitrary: json(batchBody(settings, anyMessage)), weight: 90 },
    { arbitrary: json(hostileJson), weight: 3 },
    { arbitrary: json(anyMessage), weight: 1 },
    { arbitrary: brokenBody(anyMessage), weight: 5 },
    { arbitrary: fc.record({ kind: fc.constant('many' as const), count: fc.integer({ min: 2_501, max: 2_700 }), node: fc.constantFrom<JsonNode>({}, { type: 'track', userId: 'u', event: 'x' }) }), weight: 1 },
  );
  const batchCase = fc.record({ route: fc.constantFrom(...BATCH_ROUTES), auth, encoding, contentType, body: batchBodies, keyForRoute: fc.integer({ min: 0, max: 3 }) }).map(({ keyForRoute, ...c }): HttpCase => ({
    kind: 'http',
    ...c,
    // The import route wants the import key: send it there most of the time.
    auth: c.route === '/v1/import' && c.auth === 'write' && keyForRoute > 0 ? 'import' : c.auth,
  }));

  // Built once per route (chain would build them again for every case).
  const otherBodies = [
    { arbitrary: json(anyMessage), weight: 5 },
    { arbitrary: json(hostileJson), weight: 3 },
    { arbitrary: json(batchBody(settings, anyMessage)), weight: 1 },
    { arbitrary: brokenBody(anyMessage), weight: 5 },
    // over the 32 KB a message may have
    { arbitrary: fc.integer({ min: 32_000, max: 40_000 }).map((n): BodySpec => ({ kind: 'json', node: { type: 'track', userId: 'user-1', event: 'Big', properties: { blob: 'x'.repeat(n) } } })), weight: 1 },
  ];
  const singleBodies = new Map(SINGLE_ROUTES.map((route) => [route, fc.oneof({ arbitrary: json(hostileMessage(settings, [ROUTE_TYPES[route]])), weight: 85 }, ...otherBodies)] as const));
  const singleCase = fc.constantFrom(...SINGLE_ROUTES).chain((route) =>
    fc.record({ kind: fc.constant('http' as const), route: fc.constant(route), auth, encoding, contentType, body: singleBodies.get(route) as fc.Arbitrary<BodySpec> }),
  );
  return fc.oneof({ arbitrary: batchCase, weight: 8 }, { arbitrary: singleCase, weight: 9 });
}

/** A record of the events topic as the collector would have written it, before the hostile mutations. */
function trackedEvent(settings: HostileSettings): fc.Arbitrary<JsonNode> {
  return fc
    .tuple(plausibleMessage(settings), fc.constantFrom<JsonNode>({ id: 'web', kind: 'segment' }, { id: 'crm', kind: 'import' }, { id: 'web', kind: 'tracker' }), fc.oneof({ arbitrary: fc.constant<Mutation[]>([]), weight: 1 }, { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }), weight: 2 }))
    .map(([message, source, mutations]) => {
      const stamped: Record<string, JsonNode> = { ...message, messageId: new FreshId('raw'), timestamp: message.timestamp ?? new TimeFromNow(-60_000), receivedAt: new TimeFromNow(0), source, flags: [] };
      if (stamped.userId === undefined && stamped.anonymousId === undefined) stamped.anonymousId = 'anon-raw';
      return applyMutations(stamped, mutations);
    });
}

export function hostileRecordCase(settings: HostileSettings): fc.Arbitrary<RecordCase> {
  const value = fc.oneof(
    { arbitrary: trackedEvent(settings).map((node): BodySpec => ({ kind: 'json', node })), weight: 10 },
    // valid JSON of the wrong shape
    { arbitrary: hostileJson.map((node): BodySpec => ({ kind: 'json', node })), weight: 4 },
    // random bytes, invalid UTF-8, truncated
    { arbitrary: brokenBody(trackedEvent(settings)), weight: 4 },
    { arbitrary: fc.constant(null), weight: 1 },
  );
  const headers = fc.oneof(
    { arbitrary: fc.constant<Record<string, string>>({ 'schema-version': '1' }), weight: 12 },
    { arbitrary: fc.constantFrom('2', '0', '', '01', '1.0', ' 1', 'one', '\0').map((v) => ({ 'schema-version': v })), weight: 3 },
    { arbitrary: fc.constant<Record<string, string>>({}), weight: 2 },
    { arbitrary: fc.dictionary(fc.constantFrom('schema-version', 'type', 'source', 'message-id', 'content-type', 'x'), fc.string({ maxLength: 8 }), { maxKeys: 3 }), weight: 1 },
  );
  return fc.record({
    kind: fc.constant('record' as const),
    partition: fc.nat({ max: 1_000 }),
    key: fc.oneof(fc.constant(null), anonymousId, userId, withControl, fc.string({ maxLength: 10 })),
    value,
    headers,
  });
}

/** Mostly requests, some raw records on the events topic. */
export function hostileCase(settings: HostileSettings): fc.Arbitrary<FuzzCase> {
  return fc.oneof({ arbitrary: hostileHttpCase(settings), weight: 19 }, { arbitrary: hostileRecordCase(settings), weight: 1 });
}

/** The seed of case `index` of a run seeded `seed`: cases are independent, so any one can be generated again. */
export function caseSeed(seed: number, index: number): number {
  // splitmix32-style mixing of (seed, index)
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) | 0;
}

/** Case `index` of a run seeded `seed`. */
export function generateCase(arbitrary: fc.Arbitrary<FuzzCase>, seed: number, index: number): FuzzCase {
  return fc.sample(arbitrary, { seed: caseSeed(seed, index), numRuns: 1 })[0] as FuzzCase;
}

// --- prototype pollution ---------------------------------------------------------------------------------------------

const PROTOTYPES: readonly [string, object][] = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
  ['Number.prototype', Number.prototype],
  ['Boolean.prototype', Boolean.prototype],
  ['Date.prototype', Date.prototype],
  ['RegExp.prototype', RegExp.prototype],
];
/** Names the hostile input uses as keys: none may answer on a fresh object or array. */
const PROBES = [...new Set<string>([...POLLUTION_PROBES, 'a', 'x', 'deep', 'blob'])];

/** What a prototype's own property holds: its value, or its getter and setter. */
type Held = { readonly value: unknown } | { readonly get: unknown; readonly set: unknown };
export type PrototypeSnapshot = Map<string, Map<string | symbol, Held>>;

function held(proto: object, key: string | symbol): Held {
  const d = Object.getOwnPropertyDescriptor(proto, key);
  return d && 'value' in d ? { value: d.value } : { get: d?.get, set: d?.set };
}

const sameHeld = (a: Held, b: Held) => ('value' in a && 'value' in b ? Object.is(a.value, b.value) : 'get' in a && 'get' in b && a.get === b.get && a.set === b.set);

/** The own properties of the built-in prototypes, to compare with later (pollutionSince). */
export function snapshotPrototypes(): PrototypeSnapshot {
  return new Map(PROTOTYPES.map(([name, proto]) => [name, new Map(Reflect.ownKeys(proto).map((key) => [key, held(proto, key)] as const))] as const));
}

/**
 * What differs from the snapshot: an own property of a built-in prototype gained, changed or lost, or a probe that
 * answers (`({}).polluted`, `[].isAdmin`, a key that for…in finds on `{}`). Without `full` only the numbers of own
 * properties and the probes are compared, cheap enough to run after every case.
 */
export function pollutionSince(before: PrototypeSnapshot, full: boolean): string[] {
  const found: string[] = [];
  const plain = {} as Record<string, unknown>;
  const list = [] as unknown as Record<string, unknown>;
  for (const probe of PROBES) {
    if (plain[probe] !== undefined) found.push(`({}).${probe} is ${String(plain[probe]).slice(0, 80)}`);
    if (list[probe] !== undefined) found.push(`[].${probe} is ${String(list[probe]).slice(0, 80)}`);
  }
  for (const key in plain) found.push(`for…in over {} yields ${key}`);
  if (Object.getPrototypeOf(plain) !== Object.prototype) found.push('{} has another prototype');
  for (const [name, proto] of PROTOTYPES) {
    const was = before.get(name) as Map<string | symbol, Held>;
    const keys = Reflect.ownKeys(proto);
    if (!full && keys.length === was.size) continue;
    for (const key of keys) {
      const then = was.get(key);
      if (!then) found.push(`${name} gained ${String(key)}`);
      else if (full && !sameHeld(then, held(proto, key))) found.push(`${name}.${String(key)} was changed`);
    }
    for (const key of was.keys()) if (!keys.includes(key)) found.push(`${name} lost ${String(key)}`);
  }
  return found;
}
