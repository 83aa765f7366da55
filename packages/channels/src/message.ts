import { z } from 'zod';

/**
 * One alert as sales see it: who the lead is, why the rule fired, what to do now. It is the one input of every
 * format in this package, and the JSON body of the generic webhook, so receivers can rely on this shape.
 */

export const LEAD_ROLES = ['EB', 'UB', 'TB', 'Coach'] as const;
export const LEAD_GRADES = ['A', 'B', 'C', 'D'] as const;
export const LEAD_TIERS = ['hot', 'warm', 'cold'] as const;
export const ALERT_KINDS = ['streak', 'tier', 'form', 'buying_group', 'quiet', 'stage', 'digest'] as const;

/** With an offset, so a time read back by a receiver in another zone means the same instant. */
const isoDateTime = z.iso.datetime({ offset: true });

export const companySchema = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  industry: z.string().optional(),
  /** Headcount, or a band as the CRM states it ("201-500"). */
  size: z.union([z.number().int().nonnegative(), z.string()]).optional(),
  region: z.string().optional(),
  /** The account owner in sales, as a name to show. */
  owner: z.string().optional(),
});

export const leadSchema = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  email: z.string().optional(),
  title: z.string().optional(),
  role: z.enum(LEAD_ROLES).optional(),
  grade: z.enum(LEAD_GRADES).optional(),
  tier: z.enum(LEAD_TIERS).optional(),
  heat: z.number().finite().optional(),
  company: companySchema.optional(),
});

export const ledgerLineSchema = z.object({
  /** The weight rule's id. */
  rule: z.string().min(1),
  weight: z.number().finite(),
  at: isoDateTime,
});

export const alertMessageSchema = z.object({
  /** Stable per firing (lead, rule, window): receivers drop repeats of a delivery retried by the sender. */
  idempotencyKey: z.string().min(1),
  firedAt: isoDateTime,
  lead: leadSchema,
  rule: z.object({
    id: z.string().min(1),
    kind: z.enum(ALERT_KINDS),
    /** The suggested action, in the words of the rule ("call today"). */
    action: z.string().min(1),
  }),
  why: z.object({
    /** One sentence. */
    summary: z.string().min(1),
    /** As the scoring rule produced it (streak days, form id, roles); rendered readably, unknown keys included. */
    evidence: z.record(z.string(), z.unknown()),
    heatBefore: z.number().finite().optional(),
    heatAfter: z.number().finite().optional(),
    /** The score ledger lines that explain the heat. */
    ledger: z.array(ledgerLineSchema).optional(),
  }),
  /**
   * The lead in the dashboard. Only http(s): the link becomes an href in email and a button in chat, where a
   * `javascript:` URL would run in the reader's client.
   */
  link: z.url({ protocol: /^https?$/ }).optional(),
});

export type AlertMessage = z.infer<typeof alertMessageSchema>;
export type AlertLead = z.infer<typeof leadSchema>;
export type AlertCompany = z.infer<typeof companySchema>;
export type LedgerLine = z.infer<typeof ledgerLineSchema>;
export type LeadRole = (typeof LEAD_ROLES)[number];
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Signing formats take the clock as a value so their output is reproducible (tests, retries that must re-sign). */
export type Clock = Date | number;

export function epochMs(now: Clock): number {
  return typeof now === 'number' ? now : now.getTime();
}
