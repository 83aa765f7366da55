import { describe, expect, it } from 'vitest';
import { buyingGroupCoverage, coverageSentence } from '../src/index.ts';

const DAY = 86_400_000;
const now = Date.parse('2026-06-30T12:00:00Z');

describe('a buying group\'s coverage', () => {
  it('names the roles engaged within the window, the missing ones, and known members who could fill them', () => {
    const c = buyingGroupCoverage(
      [
        { lead: 'u:ann', role: 'EB', lastSeen: now - DAY },
        { lead: 'u:bob', role: 'TB', lastSeen: now - 30 * DAY },
        { lead: 'u:cy', lastSeen: now },
      ],
      7 * DAY,
      now,
    );
    expect(c).toEqual({ engaged: ['EB'], missing: ['UB', 'TB', 'Coach'], couldFill: { UB: [], TB: ['u:bob'], Coach: [] } });
    expect(coverageSentence(c)).toBe('the economic buyer is engaged; the user buyer, the technical buyer, a coach are not engaged yet (known: u:bob as TB)');
  });

  it('says so when the whole group is engaged', () => {
    const members = (['EB', 'UB', 'TB', 'Coach'] as const).map((role, i) => ({ lead: `u:${i}`, role, lastSeen: now }));
    expect(coverageSentence(buyingGroupCoverage(members, 7 * DAY, now))).toBe('the economic buyer, the user buyer, the technical buyer, a coach are engaged: the whole buying group');
  });
});
