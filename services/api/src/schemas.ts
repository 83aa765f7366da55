import { z } from 'zod';
import { rankingEntry, type RankingEntry } from './ranking-plan.ts';

/**
 * The API's requests and answers, defined once: handlers parse with them, and /openapi.json is generated from them.
 */
export const leadId = z
  .string()
  .min(3)
  .max(512)
  .regex(/^(u|e):./, 'expected a lead id: u:<userId> or e:<email>');

export const leadParams = z.object({ id: leadId });
export const companyParams = z.object({ id: z.string().min(1).max(512) });

const iso = z.string().describe('ISO 8601 time, UTC');

export const ledgerLineSchema = z.object({
  rule: z.string(),
  weight: z.number(),
  event: z.string().describe('message id of the event that scored'),
  at: iso,
  halfLifeHours: z.number(),
  left: z.number().describe('what is left of the weight now, decayed by its half-life'),
});

export const rollupSchema = z.object({
  asOf: iso,
  stage: z.string(),
  segment: z.string().nullable(),
  rfmCode: z.string().nullable(),
  abcClass: z.string().nullable(),
  stageChangedAt: iso,
  previousStage: z.string().nullable(),
});

export const leadAnswer = z.object({
  lead: z.string(),
  traits: z.record(z.string(), z.unknown()),
  tags: z.object({ fact: z.array(z.string()), stated: z.array(z.string()), behavioral: z.array(z.string()), quiet: z.array(z.string()) }),
  role: z.object({ role: z.string(), rule: z.string() }).nullable(),
  grade: z.string(),
  fit: z.object({ points: z.number(), matched: z.array(z.string()) }),
  tier: z.string(),
  heat: z.number().describe('heat now, decayed to the time of the answer'),
  heatHistory: z.array(z.object({ at: iso, heat: z.number() })).describe('heat at the end of each of the last 14 days, from the ledger lines'),
  heatCurve: z.array(z.object({ at: iso, heat: z.number() })).describe('heat over the last 14 days for a chart: every 3 hours, and just before and at each scored event'),
  ledger: z.object({
    lines: z.array(ledgerLineSchema),
    explained: z.number().describe('the sum of the lines\' `left`'),
    unexplained: z.number().describe('heat from lines older than the portrait keeps (its ledger cap); 0 when every line is shown'),
  }),
  lifecycle: rollupSchema.nullable().describe('the latest analysts\' snapshot: lifecycle stage, RFM segment, ABC class'),
  company: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
  timeline: z.array(z.object({ at: iso, type: z.string(), event: z.string(), path: z.string(), orderId: z.string(), revenue: z.number(), currency: z.string() })),
  lastSeen: iso.nullable(),
});
export type LeadAnswer = z.infer<typeof leadAnswer>;

export const companyAnswer = z.object({
  company: z.string(),
  name: z.string().nullable(),
  heat: z.number(),
  heatHistory: z.array(z.object({ at: iso, heat: z.number() })).describe('heat at the end of each of the last 14 days, from its members\' ledger lines'),
  members: z.array(z.object({ lead: z.string(), role: z.string().nullable(), heat: z.number(), tier: z.string(), lastSeen: iso.nullable() })),
  buyingGroup: z.object({
    windowDays: z.number(),
    engaged: z.array(z.string()).describe('roles with a member active within the window'),
    missing: z.array(z.string()),
    couldFill: z.record(z.string(), z.array(z.string())).describe('for each missing role, known members holding it who are not active now'),
  }),
  lifecycle: rollupSchema.nullable(),
});
export type CompanyAnswer = z.infer<typeof companyAnswer>;

export const errorAnswer = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** A lead on the hot list, as the API and the live feed give it. */
export const hotRow = rankingEntry.omit({ fit: true, lastSeen: true }).extend({ lastSeen: iso.nullable() });
export type HotRow = z.infer<typeof hotRow>;
export const hotRowOf = ({ fit: _f, lastSeen, ...e }: RankingEntry): HotRow => ({ ...e, lastSeen: lastSeen === null ? null : new Date(lastSeen).toISOString() });

export const hotAnswer = z.object({
  ranking: iso.describe('when the sweep that ranked these leads evaluated them'),
  leads: z.array(hotRow).describe('heat at the ranking\'s time; priority 0 first: A-hot, A-warm, B-hot, …'),
  cursor: z.string().nullable().describe('the next page of the same ranking; null at its end'),
});

export const changesQuery = z.object({
  cursor: z.string().regex(/^\d+-\d+$/, 'expected a cursor this API gave').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const changesAnswer = z.object({
  changes: z.array(z.object({ id: z.string(), kind: z.string(), lead: z.string(), from: z.string(), to: z.string(), cause: z.string(), at: iso })),
  cursor: z.string().nullable().describe('pass it back to resume after the last change given'),
});

export const exportQuery = z.object({ format: z.enum(['ndjson', 'csv']).default('ndjson') });
export const exportRow = rankingEntry
  .pick({ lead: true, tier: true, grade: true, heat: true, priority: true, company: true, tags: true, fit: true, role: true, stage: true })
  .extend({ rankedAt: iso });
