import type { Redis } from 'ioredis';
import { z } from 'zod';
import { companyKeys, profileKeys } from './keys.ts';
import type { PortraitScripts } from './scripts.ts';

/**
 * What the latest analysts' snapshot says of a lead or a company, kept in its portrait so that readers and rules see
 * it live: lifecycle stage, RFM segment and code, ABC class, and since when the stage holds (and the one before).
 */
export const rollupVerdictSchema = z.object({
  /** The snapshot's reference time (ms). */
  asOf: z.number().int(),
  stage: z.string(),
  segment: z.string().optional(),
  rfmCode: z.string().optional(),
  abcClass: z.string().optional(),
  stageChangedAt: z.number().int(),
  previousStage: z.string().optional(),
});
export type RollupVerdict = z.infer<typeof rollupVerdictSchema>;

/** The `rollup` field of a state hash: a JSON array, the reference time first (applyRollup compares on it). */
export function encodeRollupVerdict(v: RollupVerdict): string {
  return JSON.stringify([v.asOf, v.stage, v.segment ?? null, v.rfmCode ?? null, v.abcClass ?? null, v.stageChangedAt, v.previousStage ?? null]);
}

export function decodeRollupVerdict(value: string | undefined): RollupVerdict | undefined {
  if (value === undefined) return undefined;
  try {
    const [asOf, stage, segment, rfmCode, abcClass, stageChangedAt, previousStage] = JSON.parse(value) as unknown[];
    const parsed = rollupVerdictSchema.safeParse({
      asOf,
      stage,
      stageChangedAt,
      ...(segment !== null ? { segment } : {}),
      ...(rfmCode !== null ? { rfmCode } : {}),
      ...(abcClass !== null ? { abcClass } : {}),
      ...(previousStage !== null ? { previousStage } : {}),
    });
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export type RollupWriteOutcome = 'applied' | 'same' | 'stale' | 'absent' | 'linked';

/** A subject of a write-back: a lead (its profile id) or a company (`c:<company id>`). */
export interface RollupWrite {
  readonly subject: string;
  readonly verdict: RollupVerdict;
}

/**
 * Writes verdicts in one pipeline (callers chunk): each onto its portrait if it exists, is not merged away and holds
 * nothing newer. Returns each write with its outcome, paired by value.
 */
export async function writeRollupVerdicts(redis: Redis, scripts: PortraitScripts, namespace: string, writes: readonly RollupWrite[]): Promise<{ write: RollupWrite; outcome: RollupWriteOutcome }[]> {
  if (writes.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const w of writes) {
    const state = w.subject.startsWith('c:') ? companyKeys(namespace, w.subject.slice(2)).state : profileKeys(namespace, w.subject).state;
    scripts.applyRollup.queue(pipeline, [state], [w.verdict.asOf, encodeRollupVerdict(w.verdict)]);
  }
  const replies = (await pipeline.exec()) ?? [];
  return writes.map((write, i) => {
    const [err, reply] = replies[i] ?? [new Error('no reply')];
    if (err) throw err;
    const outcome = String((reply as unknown[])[0]) as RollupWriteOutcome;
    return { write, outcome };
  });
}
