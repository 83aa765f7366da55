import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsWithLead } from '@leadscore/clickhouse';
import { readProfile } from '@leadscore/portrait';
import { readTopic } from '@leadscore/tests/support/kafka.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { EMAIL_TOKEN_TTL_MS, emailTokenOf } from '@leadscore/events';
import { ingestWorld, LINK_SECRET, tracked, type IngestWorld, type Worker } from './support.ts';

let world: IngestWorld;
let worker: Worker;
beforeAll(async () => {
  world = await ingestWorld(services(), 'identity');
  worker = await world.startWorker();
});
afterAll(async () => {
  await worker?.stop();
  await world?.close();
});

const t = (day: number) => new Date(Date.UTC(2026, 10, day, 9)).toISOString();

describe('identity stitching', () => {
  it("counts an anonymous visitor's earlier page views for the lead it later identifies as", async () => {
    await world.produce([
      tracked({ type: 'page', anonymousId: 'v-1', name: 'Pricing', timestamp: t(1), messageId: 'p1' }),
      tracked({ type: 'page', anonymousId: 'v-1', name: 'Pricing', timestamp: t(2), messageId: 'p2' }),
    ]);
    await world.caughtUp();
    await world.produce([tracked({ type: 'identify', userId: 'ann', anonymousId: 'v-1', timestamp: t(3), messageId: 'i1', traits: { email: 'ann@acme.example' } })]);
    await world.caughtUp();
    const ann = await readProfile(world.redis, world.ns, 'u:ann');
    expect(ann.counts).toMatchObject({ page: 2, identify: 1 });
    expect(ann.firstSeen).toBe(Date.parse(t(1)));
    expect(ann.linkedFrom).toContain('a:v-1');
  });

  it("sends the visitor's later events straight to the lead", async () => {
    await world.produce([tracked({ type: 'page', anonymousId: 'v-1', name: 'Docs', timestamp: t(4), messageId: 'p3' })]);
    await world.caughtUp();
    expect((await readProfile(world.redis, world.ns, 'u:ann')).counts.page).toBe(3);
  });

  it('records the link in ClickHouse, so analytics resolve the earlier events to the lead', async () => {
    expect(await world.count("SELECT count() FROM {db}.identity_links FINAL WHERE profile = 'a:v-1' AND lead = 'u:ann'")).toBe(1);
    const resolved = await world.count(`SELECT count() FROM (${eventsWithLead(world.ns)}) AS r WHERE lead = 'u:ann'`);
    expect(resolved).toBe(4);
  });

  it('records a conflict and merges nothing when the same visitor is identified as another known lead', async () => {
    await world.produce([tracked({ type: 'identify', userId: 'eve', anonymousId: 'v-1', timestamp: t(5), messageId: 'i2' })]);
    await world.caughtUp();
    const eve = await readProfile(world.redis, world.ns, 'u:eve');
    expect(eve.counts).toEqual({ identify: 1 });
    expect((await readProfile(world.redis, world.ns, 'u:ann')).counts.page).toBe(3);
    expect(await world.count("SELECT count() FROM {db}.identity_conflicts FINAL WHERE kind = 'anonymous_linked_elsewhere' AND claimed_by = 'u:eve' AND existing = 'u:ann'")).toBe(1);
  });

  it('records a conflict when a second user claims an email, and the email stays with its owner', async () => {
    await world.produce([tracked({ type: 'identify', userId: 'mallory', timestamp: t(6), messageId: 'i3', traits: { email: 'Ann@Acme.example' } })]);
    await world.caughtUp();
    expect(await world.redis.get(`${world.ns}:{email:ann@acme.example}:owner`)).toBe('u:ann');
    expect(await world.count("SELECT count() FROM {db}.identity_conflicts FINAL WHERE kind = 'email_owned_by_another_lead' AND claimed_by = 'u:mallory'")).toBe(1);
  });
});

describe('email claims by trust', () => {
  const owner = () => world.redis.get(`${world.ns}:{email:ann@acme.example}:owner`);
  const fromCrm = (raw: Record<string, unknown>) => ({ ...tracked(raw), source: { id: 'crm', kind: 'import' as const } });

  it('a browser\'s claim is provisional: a trusted source\'s claim (a CRM import) takes the address, and it is recorded', async () => {
    await world.produce([fromCrm({ type: 'identify', userId: 'ann-crm', timestamp: t(7), messageId: 'crm-1', traits: { email: 'ann@acme.example' } })]);
    await world.caughtUp();
    expect(await owner()).toBe('u:ann-crm');
    expect(await world.count("SELECT count() FROM {db}.identity_conflicts FINAL WHERE kind = 'email_taken_from_provisional_claim' AND claimed_by = 'u:ann-crm' AND existing = 'u:ann'")).toBe(1);
  });

  it('a browser cannot take it back', async () => {
    await world.produce([tracked({ type: 'identify', userId: 'ann', timestamp: t(8), messageId: 'i-back', traits: { email: 'ann@acme.example' } })]);
    await world.caughtUp();
    expect(await owner()).toBe('u:ann-crm');
  });

  it('a trusted holder keeps it against another trusted claim, which is a conflict for a person', async () => {
    await world.produce([fromCrm({ type: 'identify', userId: 'ann-other', timestamp: t(9), messageId: 'crm-2', traits: { email: 'ann@acme.example' } })]);
    await world.caughtUp();
    expect(await owner()).toBe('u:ann-crm');
    expect(await world.count("SELECT count() FROM {db}.identity_conflicts FINAL WHERE kind = 'email_owned_by_another_lead' AND claimed_by = 'u:ann-other'")).toBe(1);
  });
});

describe("a signed email click's token", () => {
  const ownerOf = (email: string) => world.redis.get(`${world.ns}:{email:${email}}:owner`);
  const fromCrm = (raw: Record<string, unknown>) => ({ ...tracked(raw), source: { id: 'crm', kind: 'import' as const } });
  const tokenFor = (email: string) => emailTokenOf(email, Date.parse(t(10)) + EMAIL_TOKEN_TTL_MS, LINK_SECRET);

  it("confirms the browser's claim of the address it names: a trusted source's later claim is a conflict, not a takeover", async () => {
    await world.produce([tracked({ type: 'identify', userId: 'bob', anonymousId: 'v-bob', timestamp: t(10), messageId: 'tok-1', context: { emailToken: tokenFor('bob@acme.example') } })]);
    await world.caughtUp();
    expect(await ownerOf('bob@acme.example')).toBe('u:bob');
    await world.produce([fromCrm({ type: 'identify', userId: 'bob-crm', timestamp: t(11), messageId: 'tok-crm-1', traits: { email: 'bob@acme.example' } })]);
    await world.caughtUp();
    expect(await ownerOf('bob@acme.example')).toBe('u:bob');
    expect(await world.count("SELECT count() FROM {db}.identity_conflicts FINAL WHERE kind = 'email_owned_by_another_lead' AND claimed_by = 'u:bob-crm'")).toBe(1);
  });

  it('confirms nothing for another address: that claim stays provisional', async () => {
    await world.produce([tracked({ type: 'identify', userId: 'carl', anonymousId: 'v-carl', timestamp: t(10), messageId: 'tok-2', traits: { email: 'carl@acme.example' }, context: { emailToken: tokenFor('bob@acme.example') } })]);
    await world.caughtUp();
    expect(await ownerOf('carl@acme.example')).toBe('u:carl');
    await world.produce([fromCrm({ type: 'identify', userId: 'carl-crm', timestamp: t(11), messageId: 'tok-crm-2', traits: { email: 'carl@acme.example' } })]);
    await world.caughtUp();
    expect(await ownerOf('carl@acme.example')).toBe('u:carl-crm');
  });
});

describe('bad records', () => {
  it('go to the dead-letter topic with their reason and bytes while the rest of their batch is processed', async () => {
    const good = tracked({ type: 'page', userId: 'zed', name: 'Home', timestamp: t(7), messageId: 'g1' });
    await world.produce([
      // Written straight to the topic, as a buggy producer might.
      { key: 'zed', value: Buffer.from('{"not":"an event"'), headers: { 'schema-version': '1' } },
      good,
      { key: 'zed', value: Buffer.from(JSON.stringify({ type: 'page', anonymousId: 'x' })) },
    ]);
    await world.caughtUp();
    expect((await readProfile(world.redis, world.ns, 'u:zed')).counts.page).toBe(1);
    const letters = (await readTopic(world.kafka, world.topics.eventsDeadLetter, 2)).map((r) => JSON.parse(r.value));
    expect(letters.map((l) => l.reason).sort()).toEqual(['invalid_event', 'invalid_json']);
    const broken = letters.find((l) => l.reason === 'invalid_json');
    expect(Buffer.from(broken.original, 'base64').toString()).toBe('{"not":"an event"');
    expect(broken).toMatchObject({ stage: 'ingest', origin: { topic: world.topics.events, key: 'zed' } });
  });
});

describe('/metrics', () => {
  it('counts events processed and dead-lettered by reason, batch latency and consumer lag per partition', async () => {
    const port = /"metricsPort":(\d+)/.exec(worker.output())?.[1];
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toMatch(/ingest_events_processed_total\{outcome="applied"\} [1-9]/);
    expect(text).toMatch(/ingest_events_dead_lettered_total\{reason="invalid_json"\} 1/);
    expect(text).toMatch(/ingest_batch_duration_seconds_count [1-9]/);
    expect(text).toMatch(/ingest_consumer_lag\{topic="[^"]+",partition="\d+"\} 0/);
  });
});
