import { afterAll, describe, expect, it } from 'vitest';
import type { HotLeadJob } from '@leadscore/events';
import { createLogger } from '@leadscore/log';
import { createRedis } from '@leadscore/redis';
import type { AlertCandidate } from '@leadscore/scoring';
import { testNamespace } from '@leadscore/tests/support/namespace.ts';
import { services } from '@leadscore/tests/support/services.ts';
import { createAlertOutbox, definePortraitScripts, portraitLayout, subjectKeys, type AlertSink, type Firing } from '../src/index.ts';

const DAY = 86_400_000;
const redis = createRedis(services().redisUrl);
const scripts = definePortraitScripts(redis);
const namespaces: string[] = [];

afterAll(async () => {
  for (const ns of namespaces) {
    const keys = await redis.keys(`${ns}:*`);
    if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();
});

/** A namespace of its own per test, and processes of the ingest workers in it: an outbox, and the jobs its queue got. */
function deployment() {
  const ns = testNamespace('outbox');
  namespaces.push(ns);
  const layout = { ...portraitLayout({ namespace: ns, dedupWindowMs: DAY, logCap: 500, visitorTtlMs: 90 * DAY }), alertFields: [] };
  const log = createLogger({ service: 'test', level: 'silent', namespace: ns });
  const worker = (queue: 'up' | 'gone') => {
    const enqueued: HotLeadJob[] = [];
    const sink: AlertSink = {
      addBulk: async (jobs) => {
        // 'gone': the process died after marking, before the queue got the jobs.
        if (queue === 'gone') throw new Error('process stopped before enqueueing');
        enqueued.push(...jobs.map((j) => j.data as HotLeadJob));
        return [];
      },
    };
    return { enqueued, outbox: createAlertOutbox({ layout, redis, scripts, queue: sink, log, markerRetentionMs: 8 * DAY }) };
  };
  return {
    worker,
    /** Fires in a process that stops between marking and enqueueing: the marker stays pending, its index entry stays. */
    async crashWhileFiring(f: Firing): Promise<void> {
      await expect(worker('gone').outbox.fire([f])).rejects.toThrow('process stopped before enqueueing');
      expect(await redis.hget(subjectKeys(ns, f.lead).alerts, `alert:${f.candidate.ruleId}:${f.candidate.window}`)).toMatch(/^pending\t/);
    },
    /** Rewrites the index entries as the outbox wrote them before they were JSON: '<lead>\t<field>'. */
    async asLegacyIndexEntries(): Promise<void> {
      for (const key of await redis.keys(`${ns}:idx:alerts_pending:*`)) {
        for (const entry of await redis.smembers(key)) {
          const [lead, field] = JSON.parse(entry) as [string, string];
          await redis.multi().srem(key, entry).sadd(key, `${lead}\t${field}`).exec();
        }
      }
    },
  };
}

function firing(lead: string, messageId: string): Firing {
  const candidate: AlertCandidate = { ruleId: 'form-demo', kind: 'form', window: messageId, action: 'call today', evidence: { form: 'demo' } };
  return { lead, candidate, messageId, rulesVersion: 'test' };
}

describe('the alert outbox after a crash', () => {
  it('enqueues the pending alert of a lead whose id and message id hold a tab and a newline', async () => {
    const d = deployment();
    const f = firing('u:tab\there\nand there', 'm-1\twith\ttabs\n');
    await d.crashWhileFiring(f);
    const restarted = d.worker('up');
    expect(await restarted.outbox.recover()).toBe(1);
    expect(restarted.enqueued).toMatchObject([{ lead: 'u:tab\there\nand there', messageId: 'm-1\twith\ttabs\n', rule: 'form-demo' }]);
  });

  it('enqueues the pending alert of a legacy index entry whose lead id holds a tab', async () => {
    const d = deployment();
    const f = firing('u:legacy\ttab', 'm-2\ttab');
    await d.crashWhileFiring(f);
    await d.asLegacyIndexEntries();
    const restarted = d.worker('up');
    expect(await restarted.outbox.recover()).toBe(1);
    expect(restarted.enqueued).toMatchObject([{ lead: 'u:legacy\ttab', messageId: 'm-2\ttab' }]);
  });

  it("enqueues the pending alert of a legacy index entry whose lead id starts like JSON, with '['", async () => {
    const d = deployment();
    const f = firing('[u:bracket', 'm-3');
    await d.crashWhileFiring(f);
    await d.asLegacyIndexEntries();
    const restarted = d.worker('up');
    expect(await restarted.outbox.recover()).toBe(1);
    expect(restarted.enqueued).toMatchObject([{ lead: '[u:bracket', messageId: 'm-3' }]);
  });
});
