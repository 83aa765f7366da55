import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AlertMarker, CompanyView, LedgerLine, PortraitView } from '@leadscore/portrait';
import { weightLeft, type Rules } from '@leadscore/scoring';

/**
 * The hot list's ranking, pure: what each lead's entry holds (its priority and what the filters read), its score, the
 * tier changes between two sweeps, and the cursor that pages one ranking.
 */

export const RANKING_SHARDS = 8;

export const rankingEntry = z.object({
  lead: z.string(),
  tier: z.string(),
  grade: z.string(),
  heat: z.number(),
  priority: z.number(),
  company: z.string().nullable(),
  owner: z.string().nullable(),
  region: z.string().nullable(),
  tags: z.array(z.string()),
  /** The fit profile's entries that held: why the grade. */
  fit: z.array(z.string()).default([]),
  role: z.string().nullable(),
  stage: z.string().nullable(),
  lastSeen: z.number().nullable(),
  /** Why the heat, in one line: the rules that explain most of it now, largest first. */
  why: z.array(z.object({ rule: z.string(), events: z.number(), heat: z.number() })).default([]),
  /** What sales should do: the action of the lead's latest alert, while it is fresh. */
  action: z.object({ rule: z.string(), text: z.string(), at: z.string() }).nullable().default(null),
});
export type RankingEntry = z.infer<typeof rankingEntry>;

export function shardOf(lead: string): number {
  return createHash('sha1').update(lead).digest().readUInt16BE(0) % RANKING_SHARDS;
}

const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);

/** Reasons given per lead: one line on a screen. */
export const REASONS_SHOWN = 3;
/** An alert's action is suggested for this long after it fired. */
export const ACTION_FRESH_MS = 7 * 86_400_000;

/** The rules that explain most of a lead's heat at `now`, from its ledger lines: events and heat left per rule. */
export function reasonsOf(lines: readonly LedgerLine[], now: number, limit = REASONS_SHOWN): RankingEntry['why'] {
  const byRule = new Map<string, { events: Set<string>; heat: number }>();
  for (const l of lines) {
    const r = byRule.get(l.ruleId) ?? { events: new Set<string>(), heat: 0 };
    r.events.add(l.messageId);
    r.heat += weightLeft(l.weight, l.at, l.halfLifeMs, now);
    byRule.set(l.ruleId, r);
  }
  return [...byRule]
    .map(([rule, r]) => ({ rule, events: r.events.size, heat: r.heat }))
    .filter((r) => r.heat >= 0.05)
    .sort((a, b) => b.heat - a.heat || (a.rule < b.rule ? -1 : 1))
    .slice(0, limit);
}

/**
 * The suggested action: the newest alert of the lead within ACTION_FRESH_MS whose rule is still in the rules; of
 * alerts fired together (one batch), the one listed first in the rules file, which its author ranks first.
 */
export function suggestionOf(markers: readonly AlertMarker[], rules: Pick<Rules, 'alerts'>, now: number): RankingEntry['action'] {
  const rank = new Map(rules.alerts.map((r, i) => [r.id, i]));
  const fresh = markers.filter((m) => now - m.at <= ACTION_FRESH_MS && rank.has(m.rule));
  const best = fresh.sort((a, b) => b.at - a.at || (rank.get(a.rule) as number) - (rank.get(b.rule) as number))[0];
  const rule = best && rules.alerts[rank.get(best.rule) as number];
  return best && rule ? { rule: rule.id, text: rule.action, at: new Date(best.at).toISOString() } : null;
}

/**
 * A lead's entry, from its portrait as evaluated at the sweep's time, with why (its ledger) and what to do (its
 * alerts) when they were read.
 */
export function entryOf(p: PortraitView & { readonly company?: CompanyView }, more: { readonly why?: RankingEntry['why']; readonly action?: RankingEntry['action'] } = {}): RankingEntry {
  const t = (name: string) => p.company?.traits[name]?.value;
  return {
    lead: p.lead,
    tier: p.tier,
    grade: p.grade,
    heat: p.heat,
    priority: p.priority,
    company: p.company?.companyId ?? null,
    owner: text(t('owner')),
    region: text(t('region')),
    tags: p.tags.map((x) => x.id),
    fit: p.fit.matched,
    role: p.role?.role ?? null,
    stage: p.rollup?.stage ?? null,
    lastSeen: p.lastSeen ?? null,
    why: more.why ?? [],
    action: more.action ?? null,
  };
}

/** Higher first: priority (grade and tier; 0 is best), then heat. */
export function scoreOf(e: RankingEntry): number {
  return (100 - e.priority) * 1e7 + Math.min(Math.max(e.heat, 0), 9_999_999);
}

/** Leads in ranking order: score down, then lead id down, as a Redis sorted set gives equal scores (never by arrival). */
export const rankingOrder = (a: { score: number; lead: string }, b: { score: number; lead: string }) => b.score - a.score || (a.lead > b.lead ? -1 : a.lead < b.lead ? 1 : 0);

/** A change of what a CRM keeps of a lead: its tier (decay included), fit grade, lifecycle stage or buying role. */
export interface LeadChange {
  readonly kind: 'tier' | 'grade' | 'stage' | 'role';
  readonly lead: string;
  readonly from: string;
  readonly to: string;
  /**
   * decay: the tier fell with time alone, no event since the last sweep; activity: events moved it; snapshot: the
   * analysts' rollup did (lifecycle stage).
   */
  readonly cause: 'decay' | 'activity' | 'snapshot';
  readonly at: number;
}

/**
 * What changed between the last sweep's entries and this one's, in a fixed order (by lead, then kind). A lead gone
 * from the candidates (quiet) has gone cold; its other fields are unknown and not reported as changed.
 */
export function leadChanges(previous: ReadonlyMap<string, RankingEntry>, current: ReadonlyMap<string, RankingEntry>, previousSweepAt: number, now: number): LeadChange[] {
  const out: LeadChange[] = [];
  const none = '-';
  for (const lead of [...new Set([...previous.keys(), ...current.keys()])].sort()) {
    const before = previous.get(lead);
    const after = current.get(lead);
    if (!before) continue; // new to the ranking: nothing to compare with yet
    const quietSince = (after?.lastSeen ?? before.lastSeen ?? 0) <= previousSweepAt;
    const to = after?.tier ?? 'cold';
    if (to !== before.tier) out.push({ kind: 'tier', lead, from: before.tier, to, cause: quietSince ? 'decay' : 'activity', at: now });
    if (!after) continue;
    if (after.grade !== before.grade) out.push({ kind: 'grade', lead, from: before.grade, to: after.grade, cause: 'activity', at: now });
    if ((after.stage ?? none) !== (before.stage ?? none)) out.push({ kind: 'stage', lead, from: before.stage ?? none, to: after.stage ?? none, cause: 'snapshot', at: now });
    if ((after.role ?? none) !== (before.role ?? none)) out.push({ kind: 'role', lead, from: before.role ?? none, to: after.role ?? none, cause: 'activity', at: now });
  }
  return out;
}

export const hotQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(2000).optional(),
  tier: z.enum(['hot', 'warm', 'cold']).optional(),
  company: z.string().max(512).optional(),
  owner: z.string().max(200).optional(),
  region: z.string().max(200).optional(),
  tag: z.string().max(200).optional(),
  role: z.enum(['EB', 'UB', 'TB', 'Coach']).optional(),
  stage: z.enum(['prospect', 'new', 'active', 'dormant', 'churned']).optional(),
});
export type HotQuery = z.infer<typeof hotQuery>;

/** Whether an entry passes the hot list's filters. */
export function passes(e: RankingEntry, q: HotQuery): boolean {
  return (
    (q.tier === undefined || e.tier === q.tier) &&
    (q.company === undefined || e.company === q.company) &&
    (q.owner === undefined || e.owner === q.owner) &&
    (q.region === undefined || e.region === q.region) &&
    (q.tag === undefined || e.tags.includes(q.tag)) &&
    (q.role === undefined || e.role === q.role) &&
    (q.stage === undefined || e.stage === q.stage)
  );
}

/**
 * Where a page of one ranking ends: its version (the sweep) and how far into each shard it has read. A version never
 * changes once written, so offsets page it exactly, ties included.
 */
const cursorSchema = z.object({ v: z.number().int(), o: z.array(z.number().int().min(0)).length(RANKING_SHARDS) });
export type RankingCursor = z.infer<typeof cursorSchema>;

export const encodeCursor = (c: RankingCursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
export function decodeCursor(text: string): RankingCursor | undefined {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
