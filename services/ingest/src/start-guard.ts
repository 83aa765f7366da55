import type { Admin } from 'kafkajs';

/** What a worker does with partitions it would read from their beginning (see INGEST_START_WITHOUT_OFFSETS). */
export type StartWithoutOffsets = 'refuse' | 'dedup-window' | 'earliest';

/** A partition of the events topic as the group and the broker see it at start. */
export interface PartitionStart {
  readonly partition: number;
  /** The group's committed offset, if it has one the broker still holds records from. */
  readonly committed?: bigint;
  /** The first offset the broker holds. */
  readonly low: bigint;
  /** The first offset whose record was produced within the dedup window (the end when none was). */
  readonly withinWindow: bigint;
}

export type StartPlan =
  | { readonly kind: 'go'; readonly seeks: readonly { readonly partition: number; readonly offset: bigint }[] }
  | { readonly kind: 'refuse'; readonly message: string };

/**
 * Pure: whether the group may start. A partition without a usable committed offset is read from its beginning; if
 * that beginning is older than the dedup window, the portraits no longer remember those messages and would count
 * them twice (an idle group whose offsets the broker expired starts over). That needs a person's decision.
 */
export function planStart(partitions: readonly PartitionStart[], mode: StartWithoutOffsets, windowDays: number): StartPlan {
  const exposed = partitions.filter((p) => p.committed === undefined && p.withinWindow > p.low);
  if (exposed.length === 0 || mode === 'earliest') return { kind: 'go', seeks: [] };
  if (mode === 'dedup-window') return { kind: 'go', seeks: exposed.map((p) => ({ partition: p.partition, offset: p.withinWindow })) };
  const list = exposed.map((p) => `${p.partition} (${p.withinWindow - p.low} records)`).join(', ');
  return {
    kind: 'refuse',
    message:
      `partitions ${list} have no committed offset for this group (a new group, or offsets the broker expired) and hold records older than the ${windowDays}-day dedup window: ` +
      'read from their beginning, those would count twice. Set INGEST_START_WITHOUT_OFFSETS=dedup-window to start at the first record within the window (offsets that expired), ' +
      'or INGEST_START_WITHOUT_OFFSETS=earliest to apply them all (a new deployment reading history it never saw).',
  };
}

/** Reads each partition's start as the group and the broker see it (adapter for planStart). */
export async function readPartitionStarts(admin: Admin, groupId: string, topic: string, windowStartMs: number): Promise<PartitionStart[]> {
  const [committed, bounds, byTime] = await Promise.all([
    admin.fetchOffsets({ groupId, topics: [topic] }),
    admin.fetchTopicOffsets(topic),
    admin.fetchTopicOffsetsByTimestamp(topic, windowStartMs),
  ]);
  const offsets = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  const within = new Map(byTime.map((p) => [p.partition, BigInt(p.offset)]));
  return bounds.map((b) => {
    const low = BigInt(b.low);
    const high = BigInt(b.high);
    const offset = offsets.get(b.partition);
    const at = within.get(b.partition) ?? -1n;
    // -1: no committed offset; one below the first record held is one the broker has deleted since.
    const usable = offset !== undefined && offset >= 0n && offset >= low;
    return { partition: b.partition, ...(usable ? { committed: offset } : {}), low, withinWindow: at < 0n ? high : at };
  });
}

/** Applies a plan's seeks as the group's committed offsets, before any member consumes. */
export async function applyStart(admin: Admin, groupId: string, topic: string, plan: Extract<StartPlan, { kind: 'go' }>): Promise<void> {
  if (plan.seeks.length === 0) return;
  await admin.setOffsets({ groupId, topic, partitions: plan.seeks.map((s) => ({ partition: s.partition, offset: String(s.offset) })) });
}
