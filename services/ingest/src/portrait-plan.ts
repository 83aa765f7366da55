import type { TrackedEvent } from '@leadscore/events';
import { claimsOf, companyOf, decideIdentity, identityIssue, isCompanyOnly, type IdentityDecision } from '@leadscore/identity';
import { companyContributionOf, contributionOf, orderIssue, orderOf, type Contribution, type Rules } from '@leadscore/scoring';
import type { LinkCache } from './link-cache.ts';

export interface PlanSettings {
  readonly freeMailDomains: ReadonlySet<string>;
  /** Whether an event's email claim is trusted (a browser's is provisional); all are when not given. */
  readonly trusted?: (event: TrackedEvent) => boolean;
  /** Where days are counted when the rules name no zone. */
  readonly timeZone: string;
}

/** One event of the batch on its way to the portraits: what it contributes, to whom, and to which company. */
export interface EventWork {
  /** Its place in the batch. */
  readonly index: number;
  readonly event: TrackedEvent;
  readonly contribution: Contribution;
  /** The contribution as the scripts take it. */
  readonly json: string;
  readonly company?: { readonly id: string; readonly contribution: Contribution; readonly json: string };
  /** Who it belongs to and what it links and claims; none for a company-only import row. */
  readonly decision?: IdentityDecision;
}

/** An event the portraits cannot take, found before anything is written. */
export interface Refusal {
  readonly index: number;
  readonly event: TrackedEvent;
  readonly reason: 'no_identity' | 'invalid_event';
  readonly message: string;
  readonly issues: readonly { readonly path: string; readonly message: string }[];
}

export type Planned = { readonly ok: true; readonly work: EventWork } | ({ readonly ok: false } & Refusal);

/** Who owns the emails, and where the visitors are linked, that the batch's identifying events ask about and the
 * cache cannot answer. */
export function lookupsFor(events: readonly TrackedEvent[], cache: LinkCache): { emails: string[]; visitors: string[] } {
  const emails = new Set<string>();
  const visitors = new Set<string>();
  for (const e of events) {
    const claims = claimsOf(e);
    if (!claims.userId && !claims.email) continue;
    if (claims.email && cache.emailOwner(claims.email) === undefined) emails.add(claims.email);
    if (claims.anonymousId && cache.linkOf(`a:${claims.anonymousId}`) === undefined) visitors.add(claims.anonymousId);
  }
  return { emails: [...emails], visitors: [...visitors] };
}

/**
 * Decides every event of a batch, in order, each decision seeing the links and claims of the events before it
 * (kept here, apart from the cache, which only takes what Redis confirms). What the portraits cannot take — nobody
 * to give it to, a contribution that cannot be worked out — is refused here, before anything is written.
 */
export function planEvents(events: readonly TrackedEvent[], cache: LinkCache, rules: Rules, settings: PlanSettings): Planned[] {
  const visitors = new Map<string, string>();
  const emails = new Map<string, string>();
  return events.map((event, index): Planned => {
    const noIdentity = identityIssue(event);
    if (noIdentity) return { ok: false, index, event, reason: 'no_identity', message: `${noIdentity.path}: ${noIdentity.message}`, issues: [noIdentity] };
    try {
      const companyId = companyOf(event, settings.freeMailDomains);
      const order = orderOf(event);
      const badOrder = order && orderIssue(order);
      if (badOrder) return { ok: false, index, event, reason: 'invalid_event', message: `the order cannot be counted: ${badOrder}`, issues: [{ path: 'properties', message: badOrder }] };
      const base = contributionOf(event, rules, settings.timeZone);
      const companyContribution = companyId ? companyContributionOf(event, rules, base) : undefined;
      const contribution = companyId ? { ...base, co: companyId, ...(companyContribution?.bg ? { cb: companyContribution.bg } : {}) } : base;
      const company = companyId && companyContribution ? { id: companyId, contribution: companyContribution, json: JSON.stringify(companyContribution) } : undefined;
      const work = { index, event, contribution, json: JSON.stringify(contribution), ...(company ? { company } : {}) };
      if (isCompanyOnly(event)) return { ok: true, work };
      const claims = claimsOf(event);
      const owner = claims.email ? (emails.get(claims.email) ?? cache.emailOwner(claims.email)) : undefined;
      const linked = claims.anonymousId ? (visitors.get(claims.anonymousId) ?? cache.linkOf(`a:${claims.anonymousId}`)?.lead) : undefined;
      const decision = decideIdentity(event, claims, { ...(owner ? { emailOwner: owner } : {}), ...(linked ? { anonymousLinkedTo: linked } : {}) }, settings.trusted?.(event) ?? true);
      // A contested claim may be refused (claimEmail-2.lua decides): later events of the batch see the holder.
      if (decision.emailClaim && !decision.emailClaim.contested) emails.set(decision.emailClaim.email, decision.emailClaim.owner);
      for (const link of decision.links) if (link.from.startsWith('a:')) visitors.set(link.from.slice(2), link.to);
      return { ok: true, work: { ...work, decision } };
    } catch (err) {
      const message = `its contribution to the portrait cannot be worked out: ${(err as Error).message}`;
      return { ok: false, index, event, reason: 'invalid_event', message, issues: [{ path: '(root)', message }] };
    }
  });
}
