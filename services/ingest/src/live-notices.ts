import { heatStates, isLeadProfile, type Firing, type LiveNotice } from '@leadscore/portrait';
import { tierOf, totalHeat, withoutTerms, type Rules } from '@leadscore/scoring';
import type { Judgment } from './portrait-rounds.ts';

/**
 * What a batch changed that screens show live (pure): each lead whose tier differs after the batch's events from
 * before them, judged at the batch's time as the tier alerts are, and each lead alert decided.
 */
export function liveNotices(judgments: readonly Judgment[], firings: readonly Firing[], rules: Pick<Rules, 'tiers'>, now: number): LiveNotice[] {
  const tiers = new Map<string, { from: string; to: string }>();
  for (const { lead, contribution, state } of judgments) {
    if (!isLeadProfile(lead)) continue;
    // Only the heat: the whole alert state (streak days, markers) is decoded once per judgment, by judgeLeads.
    const heat = heatStates(state);
    const to = tierOf(totalHeat(heat, now), rules.tiers);
    const seen = tiers.get(lead);
    tiers.set(lead, { from: seen?.from ?? tierOf(totalHeat(withoutTerms(heat, contribution.h ?? []), now), rules.tiers), to });
  }
  const notices: LiveNotice[] = [];
  for (const [lead, { from, to }] of tiers) if (from !== to) notices.push({ kind: 'tier', lead, from, to, at: now });
  for (const { lead, candidate } of firings) if (isLeadProfile(lead)) notices.push({ kind: 'alert', lead, rule: candidate.ruleId, action: candidate.action, at: now });
  return notices;
}
