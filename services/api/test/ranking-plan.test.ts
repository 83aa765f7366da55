import { describe, expect, it } from 'vitest';
import { leadChanges, type RankingEntry } from '../src/ranking-plan.ts';

const entry = (over: Partial<RankingEntry>): RankingEntry => ({ lead: 'u:ann', tier: 'hot', grade: 'A', heat: 50, priority: 0, company: null, owner: null, region: null, tags: [], fit: [], role: 'EB', stage: 'new', lastSeen: 1_000, ...over });
const map = (...entries: RankingEntry[]) => new Map(entries.map((e) => [e.lead, e]));

describe('the changes between two sweeps', () => {
  it('call a tier fall with no event since the last sweep decay, and one with events activity', () => {
    expect(leadChanges(map(entry({})), map(entry({ tier: 'warm' })), 2_000, 3_000)).toEqual([{ kind: 'tier', lead: 'u:ann', from: 'hot', to: 'warm', cause: 'decay', at: 3_000 }]);
    expect(leadChanges(map(entry({})), map(entry({ tier: 'warm', lastSeen: 2_500 })), 2_000, 3_000)[0]?.cause).toBe('activity');
  });

  it('report grade, stage and role changes, and a lead gone quiet as cold', () => {
    const changes = leadChanges(map(entry({}), entry({ lead: 'u:bob', tier: 'warm' })), map(entry({ grade: 'B', stage: 'active', role: 'TB' })), 2_000, 3_000);
    expect(changes.map((c) => [c.lead, c.kind, c.from, c.to, c.cause])).toEqual([
      ['u:ann', 'grade', 'A', 'B', 'activity'],
      ['u:ann', 'stage', 'new', 'active', 'snapshot'],
      ['u:ann', 'role', 'EB', 'TB', 'activity'],
      ['u:bob', 'tier', 'warm', 'cold', 'decay'],
    ]);
  });

  it('report nothing for a lead new to the ranking', () => {
    expect(leadChanges(map(), map(entry({})), 0, 1)).toEqual([]);
  });
});
