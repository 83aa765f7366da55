import { ROLES, type Role, type Rules } from './rules.ts';

const DAY = 86_400_000;

/** A company member as the buying group sees it: their role, if any, and when they were last active. */
export interface MemberEngagement {
  readonly lead: string;
  readonly role?: Role | undefined;
  readonly lastSeen?: number | undefined;
}

export interface BuyingGroupCoverage {
  /** Roles with a member active within the window. */
  readonly engaged: Role[];
  readonly missing: Role[];
  /** For each missing role, known members who hold it but are not active now: the ones to bring in. */
  readonly couldFill: Partial<Record<Role, string[]>>;
}

/** The window in which a member counts as engaged: the longest of the rules' buying-group windows (7 days without). */
export function buyingGroupWindowMs(rules: Rules): number {
  const windows = rules.alerts.flatMap((a) => (a.kind === 'buying_group' ? [a.within] : []));
  return windows.length > 0 ? Math.max(...windows) : 7 * DAY;
}

/** Which of EB / UB / TB / Coach a company has engaged now, which are missing, and who could fill them. */
export function buyingGroupCoverage(members: readonly MemberEngagement[], windowMs: number, now: number): BuyingGroupCoverage {
  const active = (m: MemberEngagement) => m.lastSeen !== undefined && now - m.lastSeen <= windowMs;
  const engaged = ROLES.filter((role) => members.some((m) => m.role === role && active(m)));
  const missing = ROLES.filter((role) => !engaged.includes(role));
  const couldFill = Object.fromEntries(missing.map((role) => [role, members.filter((m) => m.role === role && !active(m)).map((m) => m.lead)]));
  return { engaged, missing, couldFill };
}

const ROLE_WORDS: Record<Role, string> = { EB: 'the economic buyer', UB: 'the user buyer', TB: 'the technical buyer', Coach: 'a coach' };

/** The coverage as sales read it: "the economic buyer is engaged; the technical buyer is not engaged yet (bob could be)". */
export function coverageSentence(c: BuyingGroupCoverage): string {
  const list = (roles: readonly Role[]) => roles.map((r) => ROLE_WORDS[r]).join(', ');
  const engaged = c.engaged.length === 0 ? 'no role of the buying group is engaged' : `${list(c.engaged)} ${c.engaged.length === 1 ? 'is' : 'are'} engaged`;
  if (c.missing.length === 0) return `${engaged}: the whole buying group`;
  const fill = c.missing.flatMap((r) => (c.couldFill[r] ?? []).map((lead) => `${lead} as ${r}`));
  return `${engaged}; ${list(c.missing)} ${c.missing.length === 1 ? 'is' : 'are'} not engaged yet${fill.length > 0 ? ` (known: ${fill.join(', ')})` : ''}`;
}
