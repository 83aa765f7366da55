import { afterAll, describe, expect, it } from 'vitest';
import { heatOf, readProfile, readCompany } from '@leadscore/portrait';
import { services } from '@leadscore/tests/support/services.ts';
import { scenario, shuffled } from './scenario.ts';
import { ingestWorld, type IngestWorld } from './support.ts';

const worlds: IngestWorld[] = [];
afterAll(async () => {
  await Promise.all(worlds.map((w) => w.close()));
});

const LEADS = ['u:ann', 'u:bob', 'u:cy', 'u:dee', 'u:eli', 'u:gus-1', 'e:fay@beta.example'];

/** Everything a lead's portrait says, without what depends on arrival (which message set a tie is the same either way). */
async function portraits(world: IngestWorld) {
  const out: Record<string, unknown> = {};
  for (const lead of LEADS) {
    const p = await readProfile(world.redis, world.ns, lead);
    // Heat to 8 digits: the order of additions may change its last bits, never more.
    out[lead] = { heat: Number(heatOf(p, Date.UTC(2026, 9, 21)).toPrecision(8)), events: p.events, counts: p.counts, firstSeen: p.firstSeen, lastSeen: p.lastSeen, revenue: p.revenue, traits: Object.fromEntries(Object.entries(p.traits).map(([k, v]) => [k, v.value])), linkedTo: p.linkedTo };
  }
  const acme = await readCompany(world.redis, world.ns, 'acme');
  out.acme = { counts: acme.counts, members: acme.members, traits: Object.fromEntries(Object.entries(acme.traits).map(([k, v]) => [k, v.value])) };
  return out;
}

async function counts(world: IngestWorld) {
  return {
    rows: await world.count('SELECT count() FROM {db}.events FINAL'),
    messages: await world.count('SELECT uniqExact(message_id) FROM {db}.events'),
    links: await world.count('SELECT count() FROM {db}.identity_links FINAL'),
  };
}

async function run(label: string, produce: (world: IngestWorld) => Promise<void>, workers = 1) {
  const world = await ingestWorld(services(), label);
  worlds.push(world);
  const running = [];
  for (let i = 0; i < workers; i++) running.push(await world.startWorker());
  await produce(world);
  await world.caughtUp();
  await Promise.all(running.map((w) => w.stop()));
  return world;
}

describe('exactly-once effect', () => {
  const events = scenario();
  let inOrder: IngestWorld;

  it('applies a history in order', async () => {
    inOrder = await run('in_order', (w) => w.produce(events));
    const ann = await readProfile(inOrder.redis, inOrder.ns, 'u:ann');
    // Three pricing views and a docs view as a visitor, before and after identifying, count for the lead.
    expect(ann.counts).toMatchObject({ page: 4, identify: 2, order: 1, group: 1 });
    expect(ann.revenue).toEqual({ USD: 1000 });
    expect(ann.traits.title?.value).toBe('VP Engineering');
    expect(await counts(inOrder)).toMatchObject({ rows: events.length, messages: events.length });
  });

  it('gives the same portraits and counts with two workers sharing the partitions', async () => {
    const two = await run('two_workers', (w) => w.produce(shuffled(events, 3)), 2);
    expect(await portraits(two)).toEqual(await portraits(inOrder));
    expect(await counts(two)).toEqual(await counts(inOrder));
  });

  it('follows a visitor through a provisional email lead into the user who claims the email', async () => {
    const gus = await readProfile(inOrder.redis, inOrder.ns, 'u:gus-1');
    expect(gus.counts).toMatchObject({ page: 1, form: 1, identify: 1 });
    expect(gus.traits.budget?.value).toBe('100k+');
    expect((await readProfile(inOrder.redis, inOrder.ns, 'e:gus@beta.example')).linkedTo).toBe('u:gus-1');
  });

  it('keeps a form lead with no user id under its email', async () => {
    const fay = await readProfile(inOrder.redis, inOrder.ns, 'e:fay@beta.example');
    expect(fay.counts).toMatchObject({ page: 1, form: 1 });
    expect(fay.linkedTo).toBeUndefined();
  });

  it('counts a company\'s activity from group calls and context.groupId, with its members', async () => {
    const acme = await readCompany(inOrder.redis, inOrder.ns, 'acme');
    expect(acme.members).toEqual(['u:ann', 'u:bob']);
    expect(acme.traits.industry?.value).toBe('software');
  });

  it('gives the same portraits and counts when the events arrive shuffled', async () => {
    const shuffledWorld = await run('shuffled', (w) => w.produce(shuffled(events, 7)));
    expect(await portraits(shuffledWorld)).toEqual(await portraits(inOrder));
    expect(await counts(shuffledWorld)).toEqual(await counts(inOrder));
  });

  it('gives the same portraits and counts when every event is delivered twice', async () => {
    const twice = await run('twice', async (w) => {
      await w.produce(events);
      await w.produce(shuffled(events, 11));
    });
    expect(await portraits(twice)).toEqual(await portraits(inOrder));
    expect(await counts(twice)).toEqual(await counts(inOrder));
  });
});
