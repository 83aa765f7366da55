import { alertStateOf, type LedgerLine, type PortraitView, type ProfileView } from '@leadscore/portrait';

/**
 * What of a lead a rescore rebuilds, read from one namespace (pure shapes): its evaluated portrait, its stored
 * profile, its ledger and its alert state.
 */
export interface LeadRecord {
  readonly portrait: PortraitView & { readonly company?: { readonly companyId: string } };
  readonly profile: ProfileView;
  readonly ledger: readonly LedgerLine[];
  readonly state: Readonly<Record<string, string>>;
}

const sameNumber = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as object).sort(([a], [b]) => (a < b ? -1 : 1))) : x));

/**
 * The fields in which a rebuilt lead differs from the live one, by name; none when they are the same. Heat to 1e-9.
 * Alert outbox markers are not compared: they are pruned by the clock that wrote them (processing time live, event
 * time in a replay); what decides the next firing (last firings, holds' basis, streak days) is.
 */
export function leadDifferences(live: LeadRecord, rebuilt: LeadRecord): string[] {
  const out: string[] = [];
  const p = live.portrait;
  const q = rebuilt.portrait;
  if (!sameNumber(p.heat, q.heat)) out.push('heat');
  for (const field of ['tier', 'grade', 'priority', 'lastSeen'] as const) if (p[field] !== q[field]) out.push(field);
  if (json(p.tags.map((t) => t.id).sort()) !== json(q.tags.map((t) => t.id).sort())) out.push('tags');
  if (p.role?.role !== q.role?.role) out.push('role');
  if (p.company?.companyId !== q.company?.companyId) out.push('company');
  const a = live.profile;
  const b = rebuilt.profile;
  for (const field of ['counts', 'flagged', 'revenue', 'refunded', 'linkedFrom'] as const) if (json(a[field]) !== json(b[field])) out.push(field);
  if (a.firstSeen !== b.firstSeen) out.push('firstSeen');
  if (json(Object.fromEntries(Object.entries(a.traits).map(([k, t]) => [k, t.value]))) !== json(Object.fromEntries(Object.entries(b.traits).map(([k, t]) => [k, t.value])))) out.push('traits');
  const lines = (l: readonly LedgerLine[]) => json(l.map((x) => [x.messageId, x.ruleId, x.weight, x.at]).sort((m, n) => (json(m) < json(n) ? -1 : 1)));
  if (lines(live.ledger) !== lines(rebuilt.ledger)) out.push('ledger');
  const s = alertStateOf(live.state as Record<string, string>);
  const t = alertStateOf(rebuilt.state as Record<string, string>);
  if (json(s.lastFired) !== json(t.lastFired)) out.push('lastFired');
  if (json(s.streakDays) !== json(t.streakDays)) out.push('streakDays');
  return out;
}
