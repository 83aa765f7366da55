import type { CompanyView, LedgerLine, PortraitView, RollupVerdict, TraitValue } from '@leadscore/portrait';
import { buyingGroupCoverage, weightLeft } from '@leadscore/scoring';
import type { CompanyAnswer, LeadAnswer } from './schemas.ts';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const left = (line: LedgerLine, at: number) => weightLeft(line.weight, line.at, line.halfLifeMs, at);

function rollupOf(v: RollupVerdict | undefined): LeadAnswer['lifecycle'] {
  if (!v) return null;
  return { asOf: iso(v.asOf), stage: v.stage, segment: v.segment ?? null, rfmCode: v.rfmCode ?? null, abcClass: v.abcClass ?? null, stageChangedAt: iso(v.stageChangedAt), previousStage: v.previousStage ?? null };
}

export interface TimelineRow {
  readonly timestamp: string;
  readonly type: string;
  readonly event: string;
  readonly path: string;
  readonly order_id: string;
  readonly revenue: number;
  readonly currency: string;
}

/** The ends of the last `days` days (today's end is now), oldest first. */
function dayEnds(now: number, days: number): number[] {
  return Array.from({ length: days }, (_, i) => days - 1 - i).map((d) => Math.min(now, Math.floor(now / DAY) * DAY + DAY - d * DAY));
}

/** Heat explained by ledger lines at each time. */
const heatSeries = (lines: readonly LedgerLine[], times: readonly number[]) => times.map((at) => ({ at: iso(at), heat: lines.reduce((sum, l) => sum + left(l, at), 0) }));

/** Points of a heat chart over the last two weeks: every three hours, and just before and at each scored event. */
const CURVE_DAYS = 14;
const CURVE_STEP = 3 * 3_600_000;
function curveTimes(lines: readonly LedgerLine[], now: number): number[] {
  const from = now - CURVE_DAYS * DAY;
  const times = new Set<number>();
  for (let t = from; t < now; t += CURVE_STEP) times.add(t);
  times.add(now);
  for (const l of lines) if (l.at > from && l.at <= now) times.add(l.at - 1).add(l.at);
  return [...times].sort((a, b) => a - b);
}

/**
 * The portrait as the API answers it. Pure: the portrait evaluated at `now`, its traits, its ledger lines (the
 * portrait keeps the newest; each line decayed to now, and what older lines still add shown apart, so the lines and
 * the remainder add up to the heat), a heat history from the same lines, and the timeline rows.
 */
export function leadAnswerOf(input: {
  readonly portrait: PortraitView & { readonly company?: CompanyView };
  readonly traits: Readonly<Record<string, TraitValue>>;
  readonly ledger: readonly LedgerLine[];
  readonly timeline: readonly TimelineRow[];
  readonly now: number;
}): LeadAnswer {
  const { portrait: p, now } = input;
  const byKind = (kind: string) => p.tags.filter((t) => t.kind === kind).map((t) => t.id);
  const lines = input.ledger.map((l) => ({ rule: l.ruleId, weight: l.weight, event: l.messageId, at: iso(l.at), halfLifeHours: l.halfLifeMs / 3_600_000, left: left(l, now) }));
  const explained = lines.reduce((sum, l) => sum + l.left, 0);
  return {
    lead: p.lead,
    traits: Object.fromEntries(Object.entries(input.traits).map(([name, t]) => [name, t.value])),
    tags: { fact: byKind('fact'), stated: byKind('stated'), behavioral: byKind('behavioral'), quiet: byKind('quiet') },
    role: p.role ? { role: p.role.role, rule: p.role.ruleId } : null,
    grade: p.grade,
    fit: { points: p.fit.points, matched: p.fit.matched },
    tier: p.tier,
    heat: p.heat,
    heatHistory: heatSeries(input.ledger, dayEnds(now, 14)),
    heatCurve: heatSeries(input.ledger, curveTimes(input.ledger, now)),
    ledger: { lines, explained, unexplained: Math.abs(p.heat - explained) < 1e-9 ? 0 : p.heat - explained },
    lifecycle: rollupOf(p.rollup),
    company: p.company ? { id: p.company.companyId, name: typeof p.company.traits.name?.value === 'string' ? p.company.traits.name.value : null } : null,
    timeline: input.timeline.map((r) => ({ at: `${r.timestamp.replace(' ', 'T')}Z`, type: r.type, event: r.event, path: r.path, orderId: r.order_id, revenue: Number(r.revenue), currency: r.currency })),
    lastSeen: p.lastSeen === undefined ? null : iso(p.lastSeen),
  };
}

/**
 * A company as the API answers it. Pure: members with their role and heat, and the buying group's coverage — which
 * of EB / UB / TB / Coach have a member active within the window, which are missing, and which known members hold a
 * missing role but are not active now (the ones to bring in).
 */
export function companyAnswerOf(input: {
  readonly company: CompanyView;
  readonly heat: number;
  readonly members: readonly (PortraitView & { readonly company?: CompanyView })[];
  /** The members' ledger lines: the company's heat is the sum of theirs (and of visitors', which keep none). */
  readonly memberLedgers: readonly LedgerLine[];
  readonly windowMs: number;
  readonly now: number;
}): CompanyAnswer {
  const { now, windowMs } = input;
  const { engaged, missing, couldFill } = buyingGroupCoverage(
    input.members.map((m) => ({ lead: m.lead, role: m.role?.role, lastSeen: m.lastSeen })),
    windowMs,
    now,
  );
  const name = input.company.traits.name?.value;
  return {
    company: input.company.companyId,
    name: typeof name === 'string' ? name : null,
    heat: input.heat,
    heatHistory: heatSeries(input.memberLedgers, dayEnds(now, 14)),
    members: [...input.members]
      .sort((a, b) => b.heat - a.heat || a.lead.localeCompare(b.lead))
      .map((m) => ({ lead: m.lead, role: m.role?.role ?? null, heat: m.heat, tier: m.tier, lastSeen: m.lastSeen === undefined ? null : iso(m.lastSeen) })),
    buyingGroup: { windowDays: windowMs / DAY, engaged, missing, couldFill: Object.fromEntries(missing.map((r) => [r, couldFill[r] ?? []])) },
    lifecycle: rollupOf(input.company.rollup),
  };
}
