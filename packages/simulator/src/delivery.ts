import { createRng } from './random.ts';
import type { SegmentMessage } from './types.ts';

/**
 * The order a collector would receive the messages in: batching jitter of up to a few seconds, and about 5% held
 * back by minutes to hours (a laptop lid closed, an offline queue, a webhook retry), so the pipeline meets late and
 * out-of-order events as it does in production. Returns a new array; the messages themselves are unchanged.
 */
export function deliveryOrder<T extends { timestamp: string }>(messages: readonly T[], seed: number | string): T[] {
  const rng = createRng(`${String(seed)}:delivery`);
  return messages
    .map((message, i) => {
      const delay = rng.chance(0.05) ? rng.between(2 * 60_000, 6 * 3_600_000) : rng.between(50, 3_000);
      return { message, i, arrives: Date.parse(message.timestamp) + delay };
    })
    .sort((a, b) => a.arrives - b.arrives || a.i - b.i)
    .map((d) => d.message);
}

export type { SegmentMessage };
