import { describe, expect, it } from 'vitest';
import { planStart } from '../src/start-guard.ts';

describe('a worker starting on partitions without committed offsets', () => {
  const fresh = { partition: 0, low: 0n, withinWindow: 0n };
  const stale = { partition: 1, low: 100n, withinWindow: 250n };
  const committed = { partition: 2, committed: 40n, low: 0n, withinWindow: 30n };

  it('goes when what it would read from the beginning is all within the dedup window', () => {
    expect(planStart([fresh, committed], 'refuse', 7)).toEqual({ kind: 'go', seeks: [] });
  });

  it('refuses, naming the partitions and both ways on, when the beginning is older than the window', () => {
    const plan = planStart([fresh, stale, committed], 'refuse', 7);
    expect(plan.kind).toBe('refuse');
    expect(plan.kind === 'refuse' && plan.message).toMatch(/^partitions 1 \(150 records\) have no committed offset .* 7-day dedup window.*INGEST_START_WITHOUT_OFFSETS=dedup-window.*INGEST_START_WITHOUT_OFFSETS=earliest/);
  });

  it('starts those partitions at the window when told to', () => {
    expect(planStart([fresh, stale, committed], 'dedup-window', 7)).toEqual({ kind: 'go', seeks: [{ partition: 1, offset: 250n }] });
  });

  it('reads everything when told to', () => {
    expect(planStart([stale], 'earliest', 7)).toEqual({ kind: 'go', seeks: [] });
  });
});
