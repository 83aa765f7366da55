/**
 * The hot list's rules, pure, so live updates place a row exactly where the server's ranking would: the same order
 * (priority up, heat down, lead id down) and the same exact-match filters as services/api/src/ranking-plan.ts.
 */

/** @typedef {{ lead: string, tier: string, grade: string, heat: number, priority: number, company: string | null, owner: string | null, region: string | null, tags: string[], role: string | null, stage: string | null, why?: { rule: string, events: number, heat: number }[], action?: { rule: string, text: string, at: string } | null, lastSeen?: string | null }} Row */
/** @typedef {{ tier?: string, role?: string, stage?: string, owner?: string, tag?: string, company?: string }} Filters */

/** @param {Row} a @param {Row} b */
export function rowOrder(a, b) {
  return a.priority - b.priority || b.heat - a.heat || (a.lead > b.lead ? -1 : a.lead < b.lead ? 1 : 0);
}

/** Whether a row passes the filters; an absent or empty filter passes everything. */
export function passes(/** @type {Row} */ row, /** @type {Filters} */ f) {
  const is = (want, have) => !want || want === have;
  return is(f.tier, row.tier) && is(f.role, row.role) && is(f.stage, row.stage) && is(f.owner, row.owner) && is(f.company, row.company) && (!f.tag || row.tags.includes(f.tag));
}

/**
 * The list after a live change of one lead: its old row removed, its new one (`entry`, null when the lead is gone)
 * inserted in order if it passes the filters. When more pages exist (`complete` false), a row that sorts after the
 * last loaded one belongs to a page not yet loaded, so it is left out rather than appended out of order.
 * @param {Row[]} rows
 * @param {string} lead
 * @param {Row | null} entry
 * @param {Filters} filters
 * @param {boolean} complete
 * @returns {Row[]}
 */
export function upsertRow(rows, lead, entry, filters, complete) {
  const rest = rows.filter((r) => r.lead !== lead);
  if (!entry || !passes(entry, filters)) return rest;
  const at = rest.findIndex((r) => rowOrder(entry, r) < 0);
  if (at === -1) return complete ? [...rest, entry] : rest;
  return [...rest.slice(0, at), entry, ...rest.slice(at)];
}

/** `pricing-visit ×3 (+18.2) · demo-request ×1 (+15.0)`; empty when there is no reason. */
export function whyLine(why, points) {
  return (why ?? []).map((w) => `${w.rule} ×${w.events} (${points(w.heat)})`).join(' · ');
}

/**
 * A ledger's lines grouped by rule, largest `left` first: the same shape as a hot row's `why`, for the lead page.
 * @param {{ rule: string, left: number }[]} lines
 */
export function whyFromLedger(lines, top = 3) {
  const byRule = new Map();
  for (const l of lines) {
    const r = byRule.get(l.rule) ?? { rule: l.rule, events: 0, heat: 0 };
    r.events += 1;
    r.heat += l.left;
    byRule.set(l.rule, r);
  }
  return [...byRule.values()].sort((a, b) => b.heat - a.heat).slice(0, top);
}
