import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Admin, Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdentifier, sql } from '@leadscore/clickhouse';
import { deadLetterSchema, encodeEvent, originalBytes, type DeadLetter, type DeadLetterReason } from '@leadscore/events';
import { emailOwnerKey, readCompany, readPortrait, readProfile } from '@leadscore/portrait';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { readTopic } from '@leadscore/tests/support/kafka.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { ingestWorld, tracked, type IngestWorld, type Worker } from './support.ts';

/**
 * The worker's side of issue 13: records produced straight to the events topic, as anyone with access to it could,
 * bytes the collector would never have written. Each is decided on its own — a dead letter with its reason, its
 * bytes and its origin, or applied when it is harmless — and holds back no other event: a normal event produced
 * right behind it, on its partition and on every other, is applied to its portrait within 5 s.
 */

const PARTITIONS = 4;
const WITHIN_MS = 5_000;

interface Hostile {
  readonly value: Buffer | null;
  readonly headers?: Record<string, string>;
}

interface Trial {
  readonly partition: number;
  /** Offsets of the hostile records, in the order sent. */
  readonly offsets: readonly string[];
  readonly sent: readonly Hostile[];
  /** Dead letters counted by /metrics before the records were sent, by reason. */
  readonly countedBefore: Record<string, number>;
  /** From produce to applied, in ms, of the normal event behind the records on each partition. */
  readonly behindMs: Record<number, number>;
}

/**
 * A namespace with its topics, one real worker and a reader of its dead-letter topic, for the tests of one describe;
 * `send` produces hostile records with normal events behind them and waits for the normal events.
 */
function bench(label: string) {
  let world: IngestWorld;
  let worker: Worker;
  let admin: Admin;
  let reader: Consumer;
  let turn = 0;
  const letters: DeadLetter[] = [];
  /** Where every hostile record sent sits, `<partition>:<offset>`: the only records that may become dead letters. */
  const hostileOrigins = new Set<string>();
  const timings: { test: string; behindMs: Record<number, number> }[] = [];

  beforeAll(async () => {
    world = await ingestWorld(services(), label, PARTITIONS);
    admin = world.kafka.admin();
    await admin.connect();
    reader = world.kafka.consumer({ groupId: `${world.ns}.reader-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topic: world.topics.eventsDeadLetter, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void letters.push(deadLetterSchema.parse(JSON.parse(message.value?.toString() ?? 'null'))) });
    worker = await world.startWorker();
  });
  afterAll(async () => {
    if (timings.length > 0) console.info(`${label}: produce → applied (ms) of the normal events behind, by partition\n${timings.map((t) => `  ${t.test}: ${JSON.stringify(t.behindMs)}`).join('\n')}`);
    await reader?.disconnect();
    await admin?.disconnect();
    await world?.close();
  });

  const metricsPort = () => /"metricsPort":(\d+)/.exec(worker.output())?.[1];

  async function deadLetteredByReason(): Promise<Record<string, number>> {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort()}/metrics`)).text();
    const out: Record<string, number> = {};
    for (const m of text.matchAll(/^ingest_events_dead_lettered_total\{reason="([a-z_]+)"\} (\d+)$/gm)) out[m[1] as string] = Number(m[2]);
    return out;
  }

  async function endOffset(partition: number): Promise<string> {
    return (await admin.fetchTopicOffsets(world.topics.events)).find((o) => o.partition === partition)?.high ?? '0';
  }

  async function deadLettersOnTopic(): Promise<number> {
    const [end] = await admin.fetchTopicOffsets(world.topics.eventsDeadLetter);
    return Number(end?.high ?? 0);
  }

  /** What the worker group has committed on a partition (the next offset it will read). */
  async function committedOn(partition: number): Promise<bigint> {
    const [offsets] = await admin.fetchOffsets({ groupId: `${world.ns}.ingest`, topics: [world.topics.events] });
    return BigInt(offsets?.partitions.find((p) => p.partition === partition)?.offset ?? '-1');
  }

  return {
    get world() {
      return world;
    },
    get worker() {
      return worker;
    },
    letters,
    hostileOrigins,
    deadLetteredByReason,

    /**
     * Produces the hostile records on one partition (keyed like the normal event behind them there), then in the
     * same request a normal page view on every partition, that one behind them; waits up to 5 s for each normal
     * event's portrait, then for the group's commits to pass everything produced.
     */
    async send(tag: string, hostile: readonly Hostile[], options: { partition?: number } = {}): Promise<Trial> {
      const partition = options.partition ?? turn++ % PARTITIONS;
      const countedBefore = await deadLetteredByReason();
      const first = BigInt(await endOffset(partition));
      const offsets = hostile.map((_, i) => String(first + BigInt(i)));
      for (const offset of offsets) hostileOrigins.add(`${partition}:${offset}`);
      const users = new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, `behind-${tag}-${p}`] as const));
      const normal = [...users].map(([p, user]) => ({ ...encodeEvent(tracked({ type: 'page', userId: user, name: 'Pricing', messageId: user })), partition: p }));
      const started = Date.now();
      await world.produce([...hostile.map((h) => ({ key: users.get(partition) as string, partition, value: h.value, headers: h.headers ?? { 'schema-version': '1' } })), ...normal]);

      const behindMs: Record<number, number> = {};
      while (Object.keys(behindMs).length < PARTITIONS && Date.now() - started <= WITHIN_MS) {
        for (const [p, user] of users) {
          if (behindMs[p] === undefined && (await readProfile(world.redis, world.ns, `u:${user}`)).counts.page === 1) behindMs[p] = Date.now() - started;
        }
        await delay(10);
      }
      timings.push({ test: tag, behindMs });
      const late = [...users.keys()].filter((p) => behindMs[p] === undefined);
      const where = hostile.length > 0 ? `${hostile.length} hostile record(s) on partition ${partition}` : 'no hostile record in this request';
      expect(late, `normal events not applied within ${WITHIN_MS} ms on these partitions (${where}); the worker's latest output:\n${worker.output().slice(-3000)}`).toEqual([]);

      await world.caughtUp(10_000).catch((err: Error) => {
        throw new Error(`${err.message}; the worker's latest output:\n${worker.output().slice(-3000)}`);
      });
      expect(await committedOn(partition)).toBeGreaterThan(first + BigInt(hostile.length - 1));
      return { partition, offsets, sent: hostile, countedBefore, behindMs };
    },

    /** The dead letter of the i-th hostile record of a trial, as the reader got it. */
    async letterOf(trial: Trial, i: number): Promise<DeadLetter | undefined> {
      const at = trial.offsets[i];
      const deadline = Date.now() + 5_000;
      for (;;) {
        const found = letters.find((l) => l.origin?.partition === trial.partition && l.origin.offset === at);
        if (found || Date.now() > deadline) return found;
        await delay(20);
      }
    },

    deadLettersOnTopic,

    /** Whether the group has committed everything produced so far, looked at once. */
    isCaughtUp: () => world.caughtUp(1).then(
      () => true,
      () => false,
    ),

    /** Whether any dead letter came from the trial's records, once the reader has read the whole topic. */
    async anyLetterOf(trial: Trial): Promise<boolean> {
      const end = await deadLettersOnTopic();
      const deadline = Date.now() + 10_000;
      while (letters.length < end && Date.now() < deadline) await delay(20);
      return letters.some((l) => l.origin?.partition === trial.partition && trial.offsets.includes(l.origin.offset));
    },
  };
}

type Bench = ReturnType<typeof bench>;

/** Asserts each hostile record of the trial became a dead letter with its reason (and issue paths), its bytes and
 * its origin, and that /metrics counted them. */
async function expectDeadLetters(b: Bench, trial: Trial, expected: readonly { reason: DeadLetterReason; paths?: readonly (string | RegExp)[] }[]) {
  for (const [i, want] of expected.entries()) {
    const letter = await b.letterOf(trial, i);
    expect(letter, `no dead letter for the record at ${trial.partition}:${trial.offsets[i]}`).toBeDefined();
    expect(letter).toMatchObject({ reason: want.reason, stage: 'ingest', origin: { topic: b.world.topics.events, partition: trial.partition, offset: trial.offsets[i] } });
    if (want.paths) expect(letter?.issues.map((issue) => issue.path)).toEqual(want.paths.map((p) => (typeof p === 'string' ? p : expect.stringMatching(p))));
    expect(originalBytes(letter as DeadLetter).equals(trial.sent[i]?.value ?? Buffer.alloc(0))).toBe(true);
  }
  const added: Record<string, number> = {};
  for (const { reason } of expected) added[reason] = (added[reason] ?? trial.countedBefore[reason] ?? 0) + 1;
  expect(await b.deadLetteredByReason()).toEqual({ ...trial.countedBefore, ...added });
}

/** Asserts none of the trial's hostile records became a dead letter, nor was counted as one. */
async function expectNoDeadLetters(b: Bench, trial: Trial) {
  expect(await b.anyLetterOf(trial)).toBe(false);
  expect(await b.deadLetteredByReason()).toEqual(trial.countedBefore);
}

// ---------------------------------------------------------------------------------------------------------------
// Records as bytes

const SOURCE = '"source":{"id":"web","kind":"segment"},"flags":[]';
const nowIso = () => new Date().toISOString();

/** A TrackedEvent's JSON text around `members` (JSON object members as written by hand), with the collector's stamp. */
function eventText(messageId: string, members: string, times = `"timestamp":"${nowIso()}","receivedAt":"${nowIso()}"`): string {
  return `{"messageId":"${messageId}",${members},${times},${SOURCE}}`;
}

/** A TrackedEvent-shaped record's bytes from plain fields. */
function eventBytes(messageId: string, fields: Record<string, unknown>): Buffer {
  const at = nowIso();
  return Buffer.from(JSON.stringify({ messageId, timestamp: at, receivedAt: at, source: { id: 'web', kind: 'segment' }, flags: [], ...fields }));
}

const bytes = (text: string) => ({ value: Buffer.from(text) });

/** A ClickHouse count over this namespace's events table, with values quoted by `sql`. */
const eventsWhere = (b: Bench, column: 'user_id' | 'message_id', value: string) => b.world.count(sql`SELECT count() FROM ${quoteIdentifier(b.world.ns)}.events FINAL WHERE ${quoteIdentifier(column)} = ${value}`);

// ---------------------------------------------------------------------------------------------------------------

describe('hostile records on the events topic', () => {
  const b = bench('hostile_records');

  describe('named in issue 13', () => {
    it('a record that names nobody ({"anonymousId":"email:x"}) becomes a dead letter and holds back no other event', async () => {
      const trial = await b.send('nobody', [bytes(eventText('h-nobody', '"type":"page","anonymousId":"email:x","name":"Pricing"'))]);
      await expectDeadLetters(b, trial, [{ reason: 'no_identity', paths: ['anonymousId'] }]);
    });

    it('a lone surrogate escaped in the event name of a track call becomes a dead letter and holds back no other event', async () => {
      const trial = await b.send('surrogate_event', [bytes(eventText('h-surrogate-event', '"type":"track","userId":"u-surrogate","event":"Signed \\ud800Up"'))]);
      await expectDeadLetters(b, trial, [{ reason: 'invalid_unicode', paths: ['event'] }]);
    });

    it('a lone surrogate escaped as a trait key of an identify becomes a dead letter and holds back no other event', async () => {
      const trial = await b.send('surrogate_key', [bytes(eventText('h-surrogate-key', '"type":"identify","userId":"u-surrogate","traits":{"\\ud800":"x","title":"CEO"}'))]);
      await expectDeadLetters(b, trial, [{ reason: 'invalid_unicode', paths: ['traits.\\ud800'] }]);
      expect((await readProfile(b.world.redis, b.world.ns, 'u:u-surrogate')).events).toBe(0);
    });

    it('the UTF-8 bytes of a surrogate (ED A0 80) inside a string become a dead letter and hold back no other event', async () => {
      const [head, tail] = eventText('h-surrogate-bytes', '"type":"page","userId":"u-surrogate","name":"caf§"').split('§') as [string, string];
      const trial = await b.send('surrogate_bytes', [{ value: Buffer.concat([Buffer.from(head), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(tail)]) }]);
      await expectDeadLetters(b, trial, [{ reason: 'invalid_unicode' }]);
    });

    it('an event time before 1970 becomes a dead letter and holds back no other event', async () => {
      const trial = await b.send('before_1970', [bytes(eventText('h-1969', '"type":"page","userId":"u-1969","name":"Pricing"', `"timestamp":"1969-12-31T23:59:59.000Z","receivedAt":"${nowIso()}"`))]);
      await expectDeadLetters(b, trial, [{ reason: 'timestamp_out_of_range', paths: ['timestamp'] }]);
      expect((await readProfile(b.world.redis, b.world.ns, 'u:u-1969')).events).toBe(0);
    });

    it('a receivedAt in 2106 becomes a dead letter and holds back no other event', async () => {
      const trial = await b.send('received_2106', [bytes(eventText('h-2106', '"type":"page","userId":"u-2106","name":"Pricing"', `"timestamp":"${nowIso()}","receivedAt":"2106-01-01T00:00:00.000Z"`))]);
      await expectDeadLetters(b, trial, [{ reason: 'timestamp_out_of_range', paths: ['receivedAt'] }]);
    });

    it('the first and last instants the stores hold (1970-01-01T00:00:00.000Z, 2105-12-31T23:59:59.999Z) are applied', async () => {
      const edge = (id: string, at: string) => bytes(eventText(id, '"type":"page","userId":"u-edge","name":"Pricing"', `"timestamp":"${at}","receivedAt":"${at}"`));
      const trial = await b.send('edges', [edge('h-1970', '1970-01-01T00:00:00.000Z'), edge('h-2105', '2105-12-31T23:59:59.999Z')]);
      await expectNoDeadLetters(b, trial);
      const lead = await readProfile(b.world.redis, b.world.ns, 'u:u-edge');
      expect(lead).toMatchObject({ counts: { page: 2 }, firstSeen: 0, lastSeen: Date.UTC(2105, 11, 31, 23, 59, 59, 999) });
      const edgeRows = (fn: 'min' | 'max') => b.world.count(`SELECT ${fn}(toUnixTimestamp(timestamp)) FROM {db}.events FINAL WHERE user_id = 'u-edge'`);
      expect(await edgeRows('min')).toBe(0);
      expect(await edgeRows('max')).toBe(Date.UTC(2105, 11, 31, 23, 59, 59) / 1000);
    });
  });

  describe('what else a stranger with topic access could send', () => {
    it('a record with no value (a tombstone) becomes a dead letter and holds back no other event', async () => {
      const trial = await b.send('tombstone', [{ value: null }]);
      await expectDeadLetters(b, trial, [{ reason: 'invalid_json' }]);
    });

    it('a record of a schema version this worker does not know becomes a dead letter and holds back no other event', async () => {
      const trial = await b.send('schema_v2', [{ value: eventBytes('h-v2', { type: 'page', userId: 'u-v2' }), headers: { 'schema-version': '2' } }]);
      await expectDeadLetters(b, trial, [{ reason: 'unknown_schema_version' }]);
      expect((await readProfile(b.world.redis, b.world.ns, 'u:u-v2')).events).toBe(0);
    });

    it('a __proto__ key in traits becomes a dead letter, changes nothing, and holds back no other event', async () => {
      const trial = await b.send('proto', [bytes(eventText('h-proto', '"type":"identify","userId":"u-proto","traits":{"__proto__":{"polluted":"yes"},"title":"CEO"}'))]);
      await expectDeadLetters(b, trial, [{ reason: 'invalid_event', paths: ['traits.__proto__'] }]);
      expect((await readProfile(b.world.redis, b.world.ns, 'u:u-proto')).events).toBe(0);
    });

    it('properties nested 20,000 levels deep become a dead letter and hold back no other event', async () => {
      const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
      const trial = await b.send('deep', [bytes(eventText('h-deep', `"type":"track","userId":"u-deep","event":"Viewed Docs","properties":{"a":${deep}}`))]);
      await expectDeadLetters(b, trial, [{ reason: 'invalid_event', paths: [/^properties\.a\[0\]/] }]);
    });

    it('two orders of revenue 1e308 for one lead become dead letters and leave its revenue as it was', async () => {
      await b.world.produce([tracked({ type: 'track', userId: 'u-whale', event: 'Order Completed', messageId: 'whale-o1', properties: { order_id: 'o1', revenue: 100, currency: 'USD' } })]);
      await b.world.caughtUp();
      const order = (id: string) => eventBytes(`whale-${id}`, { type: 'track', userId: 'u-whale', event: 'Order Completed', properties: { order_id: id, revenue: 1e308, currency: 'USD' } });
      const trial = await b.send('revenue_1e308', [{ value: order('o2') }, { value: order('o3') }]);
      await expectDeadLetters(b, trial, [
        { reason: 'invalid_event', paths: ['properties'] },
        { reason: 'invalid_event', paths: ['properties'] },
      ]);
      expect(await readProfile(b.world.redis, b.world.ns, 'u:u-whale')).toMatchObject({ counts: { order: 1 }, revenue: { USD: 100 } });
    });

    it('two orders of the largest amount an order may carry (1e15) are both counted, exactly', async () => {
      const order = (id: string) => eventBytes(`max-${id}`, { type: 'track', userId: 'u-max', event: 'Order Completed', properties: { order_id: id, revenue: 1e15, currency: 'USD' } });
      const trial = await b.send('revenue_1e15', [{ value: order('m1') }, { value: order('m2') }]);
      await expectNoDeadLetters(b, trial);
      expect(await readProfile(b.world.redis, b.world.ns, 'u:u-max')).toMatchObject({ counts: { order: 2 }, revenue: { USD: 2e15 } });
    });

    it('an order of revenue 1e999 (Infinity once parsed) becomes a dead letter rather than an order of 0', async () => {
      const trial = await b.send('revenue_infinite', [bytes(eventText('h-infinite', '"type":"track","userId":"u-infinite","event":"Order Completed","properties":{"order_id":"i1","revenue":1e999,"currency":"USD"}'))]);
      const { counts, revenue } = await readProfile(b.world.redis, b.world.ns, 'u:u-infinite');
      expect({ counts, revenue }).toEqual({ counts: {}, revenue: {} });
      await expectDeadLetters(b, trial, [{ reason: 'invalid_event' }]);
    });

    it('an order of negative revenue becomes a dead letter as an invalid event', async () => {
      const trial = await b.send('revenue_negative', [{ value: eventBytes('h-negative', { type: 'track', userId: 'u-negative', event: 'Order Completed', properties: { order_id: 'n1', revenue: -5e14, currency: 'USD' } }) }]);
      await expectDeadLetters(b, trial, [{ reason: 'invalid_event' }]);
      expect((await readProfile(b.world.redis, b.world.ns, 'u:u-negative')).events).toBe(0);
    });

    it('a trait value of over half a megabyte is applied and kept exactly as sent', async () => {
      const huge = `"\\\t\u0000客户画像🔥 ${'x'.repeat(64)}`.repeat(7_000);
      const trial = await b.send('huge_trait', [{ value: eventBytes('h-huge', { type: 'identify', userId: 'u-huge', traits: { notes: huge, title: 'CTO' } }) }]);
      await expectNoDeadLetters(b, trial);
      const lead = await readProfile(b.world.redis, b.world.ns, 'u:u-huge');
      expect(lead.traits.notes?.value === huge).toBe(true);
      expect(await eventsWhere(b, 'message_id', 'h-huge')).toBe(1);
    });

    it('an identify with 10,000 trait names is applied and keeps 100 of them', async () => {
      const traits = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`t${i}`, i]));
      const trial = await b.send('many_traits', [{ value: eventBytes('h-many', { type: 'identify', userId: 'u-many', traits }) }]);
      await expectNoDeadLetters(b, trial);
      expect(Object.keys((await readProfile(b.world.redis, b.world.ns, 'u:u-many')).traits)).toHaveLength(100);
    });

    it('a userId of 256 characters of { } and % is applied, all its keys under one hash tag that holds the whole id', async () => {
      const id = '{}%}{%'.repeat(43).slice(0, 256);
      const trial = await b.send('hash_tag_id', [{ value: eventBytes('h-tag-id', { type: 'page', userId: id, name: 'Pricing' }) }]);
      await expectNoDeadLetters(b, trial);
      expect((await readProfile(b.world.redis, b.world.ns, `u:${id}`)).counts).toEqual({ page: 1 });
      const keys = await b.world.redis.keys(`${b.world.ns}:{p:u:%7B*`);
      const tags = new Set(keys.map((k) => k.slice(k.indexOf('{') + 1, k.indexOf('}', k.indexOf('{')))));
      expect(keys.length).toBeGreaterThan(0);
      expect([...tags].map((t) => decodeURIComponent(t))).toEqual([`p:u:${id}`]);
      expect(await eventsWhere(b, 'user_id', id)).toBe(1);
    });

    it('a context.groupId of "}{" is applied, to that company and its member', async () => {
      const trial = await b.send('group_braces', [{ value: eventBytes('h-group', { type: 'page', userId: 'u-braces', name: 'Pricing', context: { groupId: '}{' } }) }]);
      await expectNoDeadLetters(b, trial);
      expect(await readCompany(b.world.redis, b.world.ns, '}{')).toMatchObject({ counts: { page: 1 }, members: ['u:u-braces'] });
      const lead = await readPortrait(b.world.redis, b.world.ns, 'u:u-braces', parseRules(defaultRules), Date.now());
      expect(lead.company?.companyId).toBe('}{');
    });

    it('a Form Submitted by a visitor whose email is ops@localhost is applied to the visitor, naming no lead and no company', async () => {
      const trial = await b.send('form_localhost', [{ value: eventBytes('h-form-local', { type: 'track', anonymousId: 'v-ops', event: 'Form Submitted', properties: { form_id: 'demo-request', email: 'ops@localhost', name: 'Ops' } }) }]);
      await expectNoDeadLetters(b, trial);
      expect((await readProfile(b.world.redis, b.world.ns, 'a:v-ops')).counts).toEqual({ form: 1 });
      expect((await readProfile(b.world.redis, b.world.ns, 'e:ops@localhost')).events).toBe(0);
      expect(await b.world.redis.exists(emailOwnerKey(b.world.ns, 'ops@localhost'))).toBe(0);
      expect((await readCompany(b.world.redis, b.world.ns, 'domain:localhost')).events).toBe(0);
    });

    it('a Form Submitted whose only identity is email:ops@localhost becomes a dead letter, naming nobody', async () => {
      const trial = await b.send('form_nobody', [{ value: eventBytes('h-form-nobody', { type: 'track', anonymousId: 'email:ops@localhost', event: 'Form Submitted', properties: { form_id: 'demo-request', email: 'ops@localhost' } }) }]);
      await expectDeadLetters(b, trial, [{ reason: 'no_identity', paths: ['anonymousId'] }]);
    });
  });

  describe('after all of them', () => {
    it('only hostile records became dead letters, each once', async () => {
      const records = await readTopic(b.world.kafka, b.world.topics.eventsDeadLetter, await b.deadLettersOnTopic(), { settleMs: 1_000 });
      const origins = records.map((r) => JSON.parse(r.value).origin as { partition: number; offset: string }).map((o) => `${o.partition}:${o.offset}`);
      expect(origins.filter((o) => !b.hostileOrigins.has(o))).toEqual([]);
      expect(new Set(origins).size).toBe(origins.length);
    });

    it('/metrics counts exactly the dead letters on the topic, by reason', async () => {
      const byReason: Record<string, number> = {};
      for (const l of b.letters) byReason[l.reason] = (byReason[l.reason] ?? 0) + 1;
      expect(await b.deadLetteredByReason()).toEqual(byReason);
    });

    it('the worker is still running, retried no batch and logged no crash', async () => {
      expect(b.worker.child.exitCode).toBeNull();
      expect(b.worker.child.signalCode).toBeNull();
      const output = b.worker.output();
      expect(output).not.toMatch(/uncaught|unhandled|"level":60/i);
      expect(output).not.toMatch(/batch failed/);
    });
  });
});

describe('a record whose dead letter is larger than Kafka takes', () => {
  // The record fits Kafka's default limit of 1 MB a message; its dead letter (the bytes in base64, a third more)
  // does not.
  const b = bench('hostile_large_letter');
  const partition = 0;

  it('an 800 KB identify with a lone surrogate becomes a dead letter and holds back no other event', async () => {
    const text = eventText('h-large', `"type":"identify","userId":"u-large","traits":{"\\ud800":"${'x'.repeat(800_000)}"}`);
    const trial = await b.send('large_letter', [bytes(text)], { partition });
    const letter = await b.letterOf(trial, 0);
    expect(letter).toMatchObject({ reason: 'invalid_unicode', stage: 'ingest', origin: { partition, offset: trial.offsets[0] } });
  });

  it('events produced after it, on its partition and on the others, are applied within 5 s', async () => {
    await b.send('after_large_letter', [], { partition });
  });
});

describe('emails the identity rules take quadratic time to refuse', () => {
  // 30 KB each, as the collector takes them (up to 32 KB a message; 16 fit one /v1/batch request): one check of such
  // an email by normalizeEmail's pattern takes about half a second here, and the worker checks each event's email
  // several times.
  const b = bench('hostile_email_regex');
  const email = `a@${'.'.repeat(30_000)}@`;

  it('four identifies whose email is "a@" and 30,000 dots are applied to their users, naming no email, and hold back no other event', async () => {
    const trial = await b.send('email_dots', Array.from({ length: 4 }, (_, i) => ({ value: eventBytes(`h-email-dots-${i}`, { type: 'identify', userId: `u-dots-${i}`, traits: { email } }) })));
    await expectNoDeadLetters(b, trial);
    for (let i = 0; i < 4; i++) expect((await readProfile(b.world.redis, b.world.ns, `u:u-dots-${i}`)).counts).toEqual({ identify: 1 });
    expect(await b.world.redis.exists(emailOwnerKey(b.world.ns, email))).toBe(0);
  });

  it('the worker consumes on after them: an event produced once they are through is applied within 5 s', async () => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !b.worker.output().includes('Crash:') && !(await b.isCaughtUp())) await delay(100);
    await b.send('after_email_dots', []);
    expect(b.worker.child.exitCode).toBeNull();
  });
});
