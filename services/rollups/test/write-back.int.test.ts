import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollupSettings } from '@leadscore/analytics';
import { defaultRules, parseRules } from '@leadscore/scoring';
import { companyKeys, definePortraitScripts, encodeState, profileKeys, readCompany, readPortrait, STATE_FIELDS } from '@leadscore/portrait';
import { insertEvents, order, page } from '../../../packages/analytics/test/fixture.ts';
import { takeSnapshot } from '../src/snapshot.ts';
import { rollupsWorld } from './world.ts';

/** A snapshot's verdicts in the live portraits: shown by readPortrait, written once, never older over newer. */
const world = await rollupsWorld('rollup_write_back');
const { ns, exec, redis } = world;
const scripts = definePortraitScripts(redis);
const deps = { exec, database: ns, settings: rollupSettings(), portraits: { redis, scripts, namespace: ns, chunk: 2 } };
const JUNE = new Date('2026-06-30T00:00:00Z');
const MAY = new Date('2026-05-31T00:00:00Z');
const rules = parseRules(defaultRules);

beforeAll(async () => {
  await insertEvents(exec, ns, [
    page('u:ann', '2026-01-05T10:00:00Z', { type: 'group', event: '', group_id: 'acme' }),
    order('u:ann', '2026-05-20T10:00:00Z', 500),
    page('u:bob', '2026-05-01T10:00:00Z'),
    page('u:cy', '2026-05-02T10:00:00Z'),
    page('e:dee@x.test', '2026-05-03T10:00:00Z'),
  ]);
  // Portraits as the ingest workers leave them: ann and bob live, dee merged into another lead, cy never stored.
  for (const lead of ['u:ann', 'u:bob']) await redis.hset(profileKeys(ns, lead).state, encodeState({ firstSeen: Date.parse('2026-01-05T10:00:00Z') }));
  await redis.hset(profileKeys(ns, 'e:dee@x.test').state, STATE_FIELDS.linkedTo, 'u:dee');
  await redis.hset(companyKeys(ns, 'acme').state, encodeState({ firstSeen: Date.parse('2026-01-05T10:00:00Z') }));
});
afterAll(() => world.close());

describe('writing a snapshot back to the portraits', () => {
  it('shows stage, segment and class in readPortrait and readCompany, in pages of the configured size', async () => {
    const { writeBack } = await takeSnapshot(deps, JUNE);
    expect(writeBack?.leads).toEqual({ applied: 2, same: 0, stale: 0, absent: 1, linked: 1 });
    expect(writeBack?.companies).toEqual({ applied: 1, same: 0, stale: 0, absent: 0, linked: 0 });
    const ann = await readPortrait(redis, ns, 'u:ann', rules, JUNE.getTime());
    expect(ann.rollup).toEqual({ asOf: JUNE.getTime(), stage: 'new', segment: 'Potential loyalist', rfmCode: '333', abcClass: 'A', stageChangedAt: JUNE.getTime() });
    expect((await readPortrait(redis, ns, 'u:bob', rules, JUNE.getTime())).rollup).toEqual({ asOf: JUNE.getTime(), stage: 'prospect', stageChangedAt: JUNE.getTime() });
    expect((await readCompany(redis, ns, 'acme')).rollup).toMatchObject({ stage: 'new', abcClass: 'A' });
  });

  it('changes nothing when the same snapshot is written again', async () => {
    const { writeBack } = await takeSnapshot(deps, JUNE);
    expect(writeBack?.leads).toMatchObject({ applied: 0, same: 2 });
  });

  it('never lets an earlier snapshot, computed later, overwrite a newer one', async () => {
    const { writeBack } = await takeSnapshot(deps, MAY);
    expect(writeBack?.leads).toMatchObject({ applied: 0, stale: 2 });
    expect((await readPortrait(redis, ns, 'u:ann', rules, JUNE.getTime())).rollup?.asOf).toBe(JUNE.getTime());
  });

  it('leaves profiles merged into another lead, and leads without a portrait, as they are', async () => {
    expect(await redis.hgetall(profileKeys(ns, 'e:dee@x.test').state)).toEqual({ [STATE_FIELDS.linkedTo]: 'u:dee' });
    expect(await redis.exists(profileKeys(ns, 'u:cy').state)).toBe(0);
  });
});
