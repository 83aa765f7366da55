import { LIMITS } from '@leadscore/events';

export interface BatchLimits {
  readonly maxMessages: number;
  /** The whole request body, `{"batch":[…],…}`, in bytes. */
  readonly maxBytes: number;
  /** What the body costs besides the messages (brackets, batch-level context). */
  readonly envelopeBytes: number;
}

/** The collector's limits for one /v1/import request carrying `envelope` besides the messages; `batchSize` may ask for fewer messages. */
export function requestLimits(envelope: Record<string, unknown>, batchSize: number = LIMITS.batchMessages): BatchLimits {
  return {
    maxMessages: Math.min(batchSize, LIMITS.batchMessages),
    maxBytes: LIMITS.batchBytes,
    envelopeBytes: Buffer.byteLength(JSON.stringify({ batch: [], ...envelope })),
  };
}

/**
 * Packs rows, in order, into requests that stay under both limits. A row is never split or dropped: one bigger
 * than a whole request cannot occur, since each message was checked against the 32 KB message limit first.
 */
export function packBatches<T extends { readonly bytes: number }>(rows: readonly T[], limits: BatchLimits): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let size = limits.envelopeBytes;
  for (const row of rows) {
    // Each message after the first costs a comma too.
    const cost = row.bytes + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && (current.length >= limits.maxMessages || size + cost > limits.maxBytes)) {
      batches.push(current);
      current = [];
      size = limits.envelopeBytes;
    }
    size += row.bytes + (current.length > 0 ? 1 : 0);
    current.push(row);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
