import { describe, expect, it } from 'vitest';
import { trackedEventSchema } from '@leadscore/events';
import { encodeHeat, heatField, toBase36 } from '@leadscore/portrait';
import { addHeat, contributionOf, defaultRules, parseRules, type Contribution } from '@leadscore/scoring';
import { judgeLeads } from '../src/alert-judgments.ts';
import type { Judgment } from '../src/portrait-rounds.ts';

const rules = parseRules(defaultRules);
const now = Date.parse('2026-11-25T12:00:00Z');
const ctx = { rules, now, timeZone: 'UTC', freshnessMs: 86_400_000 };
let n = 0;
const demoForm = (at: number): Contribution => {
  const t = new Date(at).toISOString();
  return contributionOf(trackedEventSchema.parse({ messageId: `j-${++n}`, userId: 'ann', type: 'track', event: 'Form Submitted', properties: { form_id: 'demo-request' }, timestamp: t, receivedAt: t, source: { id: 'web', kind: 'segment' } }), rules);
};
/** A lead's state after these contributions, as the apply script hands it back (heat and last seen). */
function stateAfter(contributions: readonly Contribution[]): Record<string, string> {
  const heat: Record<string, { era: number; sum: number }> = {};
  for (const c of contributions) for (const h of c.h ?? []) heat[h.k] = addHeat(heat[h.k], { era: h.e, amount: h.a });
  return { last_seen: toBase36(Math.max(...contributions.map((c) => c.t))), ...Object.fromEntries(Object.entries(heat).map(([k, s]) => [heatField(k), encodeHeat(s)])) };
}
const judgment = (index: number, lead: string, contribution: Contribution, state: Record<string, string>): Judgment => ({ index, lead, contribution, state });
const tierFirings = (judged: ReturnType<typeof judgeLeads>) => judged.firings.filter((f) => f.candidate.ruleId === 'became-hot').map((f) => f.lead);

describe('judging a batch for alerts', () => {
  it('lets a later event of a lead see what an earlier one of the batch fired', () => {
    const first = demoForm(now - 3_600_000);
    const second = demoForm(now - 1_800_000);
    const judged = judgeLeads([judgment(0, 'u:ann', first, stateAfter([first])), judgment(1, 'u:ann', second, stateAfter([first, second]))], [], ctx);
    expect(tierFirings(judged)).toEqual(['u:ann']);
  });

  it("lets a lead see a profile merged into it, from the linking event on", () => {
    const asEmail = demoForm(now - 3_600_000);
    const own = demoForm(now - 1_800_000);
    const merged = [{ from: 'e:ann@acme.example', to: 'u:ann', index: 1, alertState: {} }];
    const judged = judgeLeads([judgment(0, 'e:ann@acme.example', asEmail, stateAfter([asEmail])), judgment(2, 'u:ann', own, stateAfter([own]))], merged, ctx);
    expect(tierFirings(judged)).toEqual(['e:ann@acme.example']);
  });

  it('lets a lead fire on its own before the event that links a hot profile into it', () => {
    const asEmail = demoForm(now - 3_600_000);
    const own = demoForm(now - 1_800_000);
    const merged = [{ from: 'e:ann@acme.example', to: 'u:ann', index: 3, alertState: {} }];
    const judged = judgeLeads([judgment(0, 'e:ann@acme.example', asEmail, stateAfter([asEmail])), judgment(2, 'u:ann', own, stateAfter([own]))], merged, ctx);
    expect(tierFirings(judged)).toEqual(['e:ann@acme.example', 'u:ann']);
  });
});
