import { readLedger } from '@leadscore/portrait';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRules } from '@leadscore/scoring';
import { services } from '@leadscore/tests/support/services.ts';
import { ingestWorld, tracked, type IngestWorld, type Worker } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'rules-'));
const file = join(dir, 'rules.yaml');
const rulesFile = (version: string, pricingWeight: unknown) =>
  stringify({ ...defaultRules, version, weights: defaultRules.weights.map((w) => (w.id === 'pricing-page' ? { ...w, weight: pricingWeight } : w)) });

let world: IngestWorld;
let worker: Worker;
let n = 0;
beforeAll(async () => {
  writeFileSync(file, rulesFile('v1', 15));
  world = await ingestWorld(services(), 'rules_reload');
  worker = await world.startWorker({ RULES_FILE: file });
});
afterAll(async () => {
  await worker?.stop();
  await world?.close();
});

async function versionOfNextEvent(): Promise<string[]> {
  const id = `rr-${++n}`;
  await world.produce([tracked({ type: 'page', userId: 'ann', messageId: id, timestamp: new Date().toISOString(), context: { page: { path: '/pricing' } } })]);
  await world.caughtUp();
  const lines = await readLedger(world.redis, world.ns, 'u:ann', 100);
  return [...new Set(lines.filter((l) => l.messageId === id).map((l) => `${l.ruleId}@${l.rulesVersion}:${l.weight}`))].filter((s) => s.startsWith('pricing-page'));
}

async function until(predicate: () => boolean, what: string) {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${worker.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the rules file', () => {
  it('scores with the rules it was started with', async () => {
    expect(await versionOfNextEvent()).toEqual(['pricing-page@v1:15']);
  });

  it('is picked up live when it changes', async () => {
    writeFileSync(file, rulesFile('v2', 25));
    await until(() => worker.output().includes('"to":"v2"'), 'the reload');
    expect(await versionOfNextEvent()).toEqual(['pricing-page@v2:25']);
  });

  it('refuses a broken change with the path of the bad entry, and keeps the rules in force', async () => {
    writeFileSync(file, rulesFile('v3', 'very high'));
    await until(() => worker.output().includes('rules change refused'), 'the refusal');
    expect(worker.output()).toMatch(/weights\[0\]\.weight/);
    expect(await versionOfNextEvent()).toEqual(['pricing-page@v2:25']);
  });

  it('stops start-up with the path of the bad entry when it is invalid', async () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, rulesFile('bad', 'very high'));
    await expect(world.startWorker({ RULES_FILE: broken })).rejects.toThrow(/weights\[0\]\.weight/);
  });
});
