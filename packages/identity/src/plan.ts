import { emailFromToken, type Rejection, type TrackedEvent } from '@leadscore/events';
import { emailDomain, normalizeEmail } from './email.ts';
import { mergedUserOf } from './manual-merge.ts';
import { anonymousProfile, emailProfile, profileKind, userProfile } from './profile-id.ts';

/** Anonymous ids with these prefixes are identities in disguise (set by imports and email links), not visitors. */
const EMAIL_ANONYMOUS_PREFIX = 'email:';
const IMPORT_ANONYMOUS_PREFIX = 'import:';

const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** The email an event states about its person, normalized. */
export function emailOf(event: TrackedEvent): string | undefined {
  if (event.anonymousId?.startsWith(EMAIL_ANONYMOUS_PREFIX)) {
    const fromId = normalizeEmail(event.anonymousId.slice(EMAIL_ANONYMOUS_PREFIX.length));
    if (fromId) return fromId;
  }
  const candidates: unknown[] = [];
  if (event.type === 'identify') candidates.push(event.traits?.email);
  if (event.type === 'track' && event.event === 'Form Submitted') candidates.push(event.properties?.email);
  candidates.push(event.context?.traits?.email);
  // A signed click's token names the address it proves; whether it does is the claim's trust (isTrustedClaim).
  if (typeof event.context?.emailToken === 'string') candidates.push(emailFromToken(event.context.emailToken));
  for (const c of candidates) {
    const email = normalizeEmail(c);
    if (email) return email;
  }
  return undefined;
}

/**
 * The company (account) an event is about: a `group` call's groupId, else `context.groupId`, else the domain of the
 * person's email unless it is a free-mail domain (gmail.com, qq.com, …), as `domain:<domain>`.
 */
export function companyOf(event: TrackedEvent, freeMailDomains: ReadonlySet<string>): string | undefined {
  if (event.type === 'group') return event.groupId;
  if (event.context?.groupId) return event.context.groupId;
  const email = emailOf(event);
  if (!email) return undefined;
  const domain = emailDomain(email);
  return freeMailDomains.has(domain) ? undefined : `domain:${domain}`;
}

/** What an event says about identity, before anything is looked up. */
export interface IdentityClaims {
  readonly userId?: string;
  /** A user a person merged into this event's user (a manual merge, see manual-merge.ts). */
  readonly mergedUser?: string;
  /** A visitor id that may be linked to a lead (not an identity in disguise). */
  readonly anonymousId?: string;
  readonly email?: string;
}

export function claimsOf(event: TrackedEvent): IdentityClaims {
  const merged = mergedUserOf(event);
  if (merged !== undefined) return { userId: event.userId as string, mergedUser: merged };
  const email = emailOf(event);
  const rawAnonymous = event.type === 'alias' ? event.previousId : event.anonymousId;
  const disguised = rawAnonymous?.startsWith(EMAIL_ANONYMOUS_PREFIX) || rawAnonymous?.startsWith(IMPORT_ANONYMOUS_PREFIX);
  const userId = str(event.userId);
  return {
    ...(userId ? { userId } : {}),
    ...(rawAnonymous && !disguised ? { anonymousId: rawAnonymous } : {}),
    ...(email ? { email } : {}),
  };
}

/** Import rows about a company only (no person) carry a synthetic identity; they update the company, no profile. */
export function isCompanyOnly(event: TrackedEvent): boolean {
  return !event.userId && (event.anonymousId?.startsWith(IMPORT_ANONYMOUS_PREFIX) ?? false);
}

/**
 * Why an event cannot be given to anyone, or undefined when it can: no user id, no visitor id that is a visitor, no
 * email (an `email:` identity that is not an address is none). The collector refuses such a message and the ingest
 * worker dead-letters it, by this one rule, so nothing the collector takes can stop a worker deciding identity.
 */
export function identityIssue(event: TrackedEvent): { readonly path: string; readonly message: string } | undefined {
  if (isCompanyOnly(event)) return undefined;
  const claims = claimsOf(event);
  if (claims.userId || claims.anonymousId || claims.email) return undefined;
  const raw = event.type === 'alias' ? event.previousId : event.anonymousId;
  if (raw?.startsWith(EMAIL_ANONYMOUS_PREFIX)) {
    return { path: event.type === 'alias' ? 'previousId' : 'anonymousId', message: `${JSON.stringify(raw.slice(0, 80))} names no email address (expected email:<address>, e.g. email:ann@acme.example)` };
  }
  return { path: 'userId', message: 'the message names nobody: a userId, a visitor anonymousId or an email is required' };
}

/** identityIssue as an intake rule (`check` of intakeMessage / replayLetter): the collector and dlq:replay pass it. */
export function refuseWithoutIdentity(event: TrackedEvent): Rejection | undefined {
  const issue = identityIssue(event);
  return issue ? { reason: 'no_identity', issues: [issue] } : undefined;
}

/** What the stores said about the claims: who owns the email, where the visitor is linked already. */
export interface IdentityLookups {
  readonly emailOwner?: string;
  readonly anonymousLinkedTo?: string;
}

export interface Link {
  /** The profile whose events move: an anonymous visitor or a provisional email lead. */
  readonly from: string;
  readonly to: string;
  readonly reason: 'identify' | 'alias' | 'form' | 'email_claimed' | 'visitor_identified' | 'merged_by_hand';
  /**
   * Worked out from what the stores knew rather than said by the event (an event without a user id, given to a lead
   * found by its email's owner or its visitor's link): a link's record is its earliest statement, and a derived one
   * stands only until a statement of it arrives, whatever the order (see linkProfile-2.lua).
   */
  readonly derived?: true;
}

export interface Conflict {
  readonly kind: 'anonymous_linked_elsewhere' | 'email_owned_by_another_lead' | 'email_taken_from_provisional_claim';
  readonly profile: string;
  readonly claimedBy: string;
  readonly existing: string;
  readonly detail: string;
}

export interface EmailClaim {
  readonly email: string;
  readonly owner: string;
  readonly trusted?: boolean;
  readonly contested?: string;
}

export interface IdentityDecision {
  /** The profile the event is applied to. */
  readonly profile: string;
  readonly links: readonly Link[];
  /**
   * The lead that now owns the email, when the event claims it. `trusted` when its source is (see isTrustedClaim);
   * `contested` names the user holding it now, whose claim gives way only if it was provisional (claimEmail-2.lua).
   */
  readonly emailClaim?: EmailClaim;
  readonly conflicts: readonly Conflict[];
}

/**
 * Decides which profile an event belongs to and which links and claims it makes, from its claims and what the
 * stores know. Known leads are never merged: a claim against another user's email or visitor is a conflict,
 * recorded for a person to resolve.
 */
export function decideIdentity(event: TrackedEvent, claims: IdentityClaims, found: IdentityLookups, trusted = true): IdentityDecision {
  const links: Link[] = [];
  const conflicts: Conflict[] = [];
  let emailClaim: EmailClaim | undefined;
  const trust = trusted ? {} : ({ trusted: false } as const);
  const linkReason: Link['reason'] = event.type === 'alias' ? 'alias' : event.type === 'track' ? 'form' : 'identify';

  // Who the event is about: its user; else, for an email, a visitor already known as a user states it as theirs;
  // else the lead owning the email, or a new provisional lead keyed by it.
  const knownVisitor = found.anonymousLinkedTo !== undefined && profileKind(found.anonymousLinkedTo) === 'user' ? found.anonymousLinkedTo : undefined;
  let lead: string | undefined;
  if (claims.userId) lead = userProfile(claims.userId);
  else if (claims.email && knownVisitor) lead = knownVisitor;
  else if (claims.email) lead = found.emailOwner ?? emailProfile(claims.email);
  // The event's own visitor it states directly, with whatever names the person (a user id or an email); a link of
  // another profile (a provisional lead) into a user it states only with its user id, and otherwise derives it from
  // what the stores said (see Link).
  const derived = claims.userId ? {} : ({ derived: true } as const);

  // A person said two users are one: the other user is linked into this one like any profile, its history with it.
  if (lead && claims.mergedUser) links.push({ from: userProfile(claims.mergedUser), to: lead, reason: 'merged_by_hand' });

  // A user (by userId, or a visitor known as one) stating an email claims it; the email's owner needs no claim.
  if (lead && claims.email && (claims.userId || knownVisitor)) {
    const owner = found.emailOwner;
    if (owner === undefined || owner === lead || profileKind(owner) === 'email') {
      // Said every time, not only the first: a replay after a crash must still write every link and claim,
      // and each of them is idempotent. A provisional lead of this email that never existed links harmlessly.
      links.push({ from: emailProfile(claims.email), to: lead, reason: 'email_claimed', ...derived });
      emailClaim = { email: claims.email, owner: lead, ...trust };
    } else if (trusted) {
      // Another user holds it: a trusted claim takes it if that user's claim was provisional (the script knows), and
      // is a conflict otherwise; either way recorded.
      emailClaim = { email: claims.email, owner: lead, contested: owner };
    } else {
      conflicts.push({ kind: 'email_owned_by_another_lead', profile: lead, claimedBy: lead, existing: owner, detail: `${claims.email} already belongs to ${owner}` });
    }
  } else if (lead && claims.email && !found.emailOwner) {
    emailClaim = { email: claims.email, owner: lead, ...trust };
  }

  if (claims.anonymousId) {
    const visitor = anonymousProfile(claims.anonymousId);
    if (!lead) return { profile: found.anonymousLinkedTo ?? visitor, links, conflicts };
    const linked = found.anonymousLinkedTo;
    if (linked === undefined || linked === lead) links.push({ from: visitor, to: lead, reason: linkReason });
    else if (profileKind(linked) === 'email' && profileKind(lead) === 'user') {
      // The visitor filled in a form as a provisional email lead and now is a user: the same browser says they are
      // one person, and a provisional lead is no known lead, so it is linked into the user (the visitor follows).
      // Derived: it rests on the visitor's stored link as much as on this event (an identify with the email states it).
      if (!links.some((l) => l.from === linked)) links.push({ from: linked, to: lead, reason: 'visitor_identified', derived: true });
    } else {
      conflicts.push({
        kind: 'anonymous_linked_elsewhere',
        profile: visitor,
        claimedBy: lead,
        existing: linked,
        detail: `visitor ${claims.anonymousId} is already ${linked}; ${lead} claims it too`,
      });
    }
  }
  if (!lead) throw new Error(`event ${event.messageId} has no identity (userId, anonymousId or email)`);
  return { profile: lead, links, ...(emailClaim ? { emailClaim } : {}), conflicts };
}

/**
 * Workers decide identity on what they last saw, and another worker may have linked the visitor meanwhile: the
 * link script then refuses, naming the lead the visitor is linked to. When one of the two is a provisional email
 * lead and the other a user, the browser says they are one person, as `decideIdentity` would have decided had it
 * seen the link: the provisional lead is linked into the user (and, when it was this event's own lead, gives the
 * user its email). Two users, or two provisional leads, stay a conflict for a person.
 */
export function settleVisitorRace(refused: Link, existing: string): { readonly link: Link; readonly emailClaim?: { readonly email: string; readonly owner: string } } | undefined {
  const claimant = refused.to;
  if (profileKind(existing) === 'email' && profileKind(claimant) === 'user') {
    return { link: { from: existing, to: claimant, reason: 'visitor_identified' } };
  }
  if (profileKind(existing) === 'user' && profileKind(claimant) === 'email') {
    const email = claimant.slice(claimant.indexOf(':') + 1);
    return { link: { from: claimant, to: existing, reason: 'visitor_identified' }, emailClaim: { email, owner: existing } };
  }
  return undefined;
}

/**
 * An email claimed for its own provisional lead (`e:<email>`) that a user owns already: the user's claim links
 * that provisional lead into the user (or has), so its events reach the user; nothing for a person to resolve.
 */
export function claimGivesWay(claim: { readonly email: string; readonly owner: string }, existing: string): boolean {
  return claim.owner === emailProfile(claim.email) && profileKind(existing) === 'user';
}
