import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PendingCommits } from '../src/pending-commits.ts';

/** Batches of a partition, back to back from offset 0, of the given sizes. */
function batches(sizes: readonly number[]) {
  let first = 0n;
  return sizes.map((size, i) => {
    const b = { first, next: first + BigInt(size), size, item: i };
    first = b.next;
    return b;
  });
}

describe("a partition's pending commits", () => {
  it('commit nothing while the oldest batch is in flight, then the whole durable run at once', () => {
    const q = new PendingCommits<number>();
    for (const b of batches([3, 2, 4])) q.push(b);
    expect(q.settle(1)).toBeUndefined();
    expect(q.settle(2)).toBeUndefined();
    expect(q.size).toBe(9);
    expect(q.settle(0)).toEqual({ commit: 9n, batches: batches([3, 2, 4]).map((b) => expect.objectContaining({ item: b.item })) });
    expect(q.empty).toBe(true);
    expect(q.size).toBe(0);
  });

  it('never commit an offset lower than one already committed (a batch handled again after a rebalance)', () => {
    const q = new PendingCommits<string>();
    q.push({ first: 0n, next: 10n, size: 10, item: 'late' });
    expect(q.settle('late')?.commit).toBe(10n);
    q.push({ first: 0n, next: 5n, size: 5, item: 'again' });
    expect(q.settle('again')).toEqual({ batches: [expect.objectContaining({ item: 'again' })] });
  });

  it('whatever order batches become durable in, commits only offsets whose batches are all durable, rising, ending at the last', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 30 }).chain((sizes) => fc.tuple(fc.constant(sizes), fc.shuffledSubarray(sizes.map((_, i) => i), { minLength: sizes.length }))),
        ([sizes, order]) => {
          const all = batches(sizes);
          const q = new PendingCommits<number>();
          for (const b of all) q.push(b);
          const durable = new Set<number>();
          let last = -1n;
          for (const i of order) {
            durable.add(i);
            const commit = q.settle(i)?.commit;
            if (commit === undefined) continue;
            expect(commit).toBeGreaterThan(last);
            for (const b of all) if (b.next <= commit) expect(durable.has(b.item)).toBe(true);
            last = commit;
          }
          expect(last).toBe(all.at(-1)?.next);
          expect(q.size).toBe(0);
        },
      ),
    );
  });

  it('forget everything when cleared, so the partition can be read again from its oldest batch', () => {
    const q = new PendingCommits<number>();
    for (const b of batches([2, 2])) q.push(b);
    expect(q.oldest?.first).toBe(0n);
    expect(q.clear()).toHaveLength(2);
    expect(q.settle(0)).toBeUndefined();
  });
});
