import { randomUUID } from 'node:crypto';
import type { HotLeadJob } from '@leadscore/events';
import type { Redis } from 'ioredis';
import { z } from 'zod';

/**
 * A rescore in place, as Redis remembers it while it runs, so a stopped one (Ctrl-C, a crash, a deploy) is resumed
 * where it was: the scratch namespace it fills, the cutover, the last event replayed, the swap's plan, the topic's
 * ends for the catch-up. Removed when the rescore ends. One runs at a time per namespace (a lease).
 */
const positionSchema = z.object({ timestampMs: z.number(), messageId: z.string() });
export const rescoreRunSchema = z.object({
  scratch: z.string(),
  /** The rules' version: a resume with other rules would mix two scorings. */
  rules: z.string(),
  /** The choice as asked (leads, companies, since), compared on resume. */
  choice: z.string(),
  cutover: z.record(z.string(), z.string()),
  startedAt: z.number(),
  stage: z.enum(['replay', 'swap', 'catch-up']),
  position: positionSchema.optional(),
  replayed: z.number(),
  /** Fixed before the swap starts, so a swap resumed part way swaps the same keys. */
  plan: z.object({ leads: z.array(z.string()), companies: z.array(z.string()), profiles: z.array(z.string()), emails: z.array(z.string()) }).optional(),
  /** The topic's ends as of the swap: the catch-up applies [cutover, ends) again. */
  ends: z.record(z.string(), z.string()).optional(),
});
export type RescoreRun = z.infer<typeof rescoreRunSchema>;

/** Another rescore holds the namespace's lease. */
export class RescoreBusy extends Error {
  override readonly name = 'RescoreBusy';
}

/** A stopped rescore of other rules or another choice is in the way. */
export class RescoreMismatch extends Error {
  override readonly name = 'RescoreMismatch';
  constructor(readonly run: RescoreRun) {
    super(
      `a stopped rescore (rules ${run.rules}, ${run.choice === '{}' ? 'every portrait' : run.choice}, started ${new Date(run.startedAt).toISOString()}, ${run.stage} stage) is in the namespace: run it again as it was to resume it, or with --restart to drop it`,
    );
  }
}

const LEASE_MS = 15_000;

export function rescoreRuns(redis: Redis, ns: string) {
  const key = `${ns}:rescore-run`;
  const firingsKey = `${ns}:rescore-run:firings`;
  const leaseKey = `${ns}:rescore-run:lease`;
  const holder = randomUUID();
  let renewer: NodeJS.Timeout | undefined;
  return {
    /** Takes the namespace's lease (renewed while held), or throws RescoreBusy. */
    async lease(): Promise<void> {
      if ((await redis.set(leaseKey, holder, 'PX', LEASE_MS, 'NX')) !== 'OK') throw new RescoreBusy('another rescore is running in this namespace (its lease is renewed while it runs; a stopped one frees it within 15 s)');
      renewer = setInterval(() => void redis.pexpire(leaseKey, LEASE_MS).catch(() => {}), LEASE_MS / 4);
      renewer.unref();
    },
    async release(): Promise<void> {
      if (renewer) clearInterval(renewer);
      if ((await redis.get(leaseKey)) === holder) await redis.del(leaseKey);
    },
    async read(): Promise<RescoreRun | undefined> {
      const json = await redis.get(key);
      return json === null ? undefined : rescoreRunSchema.parse(JSON.parse(json));
    },
    async save(run: RescoreRun): Promise<void> {
      await redis.set(key, JSON.stringify(run));
    },
    /** Records firings durably before the replay's outbox marks them sent. */
    async recordFirings(firings: readonly { readonly job: HotLeadJob; readonly at: number }[]): Promise<void> {
      if (firings.length > 0) await redis.rpush(firingsKey, ...firings.map((f) => JSON.stringify(f)));
    },
    async *firings(): AsyncGenerator<{ job: HotLeadJob; at: number }> {
      const total = await redis.llen(firingsKey);
      for (let i = 0; i < total; i += 1000) for (const json of await redis.lrange(firingsKey, i, i + 999)) yield JSON.parse(json) as { job: HotLeadJob; at: number };
    },
    async drop(): Promise<void> {
      await redis.del(key, firingsKey);
    },
  };
}
export type RescoreRuns = ReturnType<typeof rescoreRuns>;
