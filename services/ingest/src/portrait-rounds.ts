import type { TrackedEvent } from '@leadscore/events';
import { claimGivesWay, isLead, settleVisitorRace, type Conflict, type Link } from '@leadscore/identity';
import { companiesOfState, isFailure, lastSeenIndexKey, type PortraitStep, type StateFields, type StepFailure, type StepResult } from '@leadscore/portrait';
import type { Contribution } from '@leadscore/scoring';
import type { LinkCache } from './link-cache.ts';
import { lookupsFor, type EventWork } from './portrait-plan.ts';

/**
 * The rounds of a batch's write to the portraits (see createPortraitWriter), each planned as typed steps from what
 * the batch knows so far, sent in one round trip, and read back step by step by value into the batch's findings.
 */

/** A contribution applied to a lead, with the lead's state after it: what alert rules judge. */
export interface Judgment {
  /** The batch position of the event it is for; a history's, the batch's end (it is replayed after every link). */
  readonly index: number;
  /** A history's: the time of the event whose link brought it (a replay judges it as of then). */
  readonly at?: number;
  readonly lead: string;
  readonly contribution: Contribution;
  readonly state: StateFields;
  /** Replayed from a provisional lead this lead took over, where it was judged already (see decideAlerts). */
  readonly judgedBefore?: boolean;
}

/** A company's buying groups to judge: after a member's engagement (its contribution's rules), or after a member's
 * traits changed (every buying-group rule). */
export interface CompanyJudgment {
  readonly company: string;
  readonly messageId: string;
  /** The event's time. */
  readonly at: number;
  readonly flagged: boolean;
  readonly rules: readonly string[];
  readonly groups: StateFields;
}

/** The link's record as Redis keeps it (the earliest statement), for identity_links. */
export interface LinkRecord {
  readonly from: string;
  readonly to: string;
  readonly reason: string;
  readonly messageId: string;
  readonly at: number;
}

export interface FailedEvent {
  readonly index: number;
  readonly event: TrackedEvent;
  readonly failure: StepFailure;
}

/** Where an event's own contribution ended up after round 1. */
export interface Landed {
  readonly profile: string;
  readonly state?: StateFields;
  /** An order already counted under another message id: it adds nothing, and has no ledger lines. */
  readonly repeatedOrder: boolean;
}

/** A newly linked profile whose history its lead takes over in round 3, marked merged in round 4. */
export interface Merge {
  readonly work: EventWork;
  readonly from: string;
  readonly to: string;
  readonly alertState: string;
  readonly history: readonly string[];
}

/** A profile a batch merged into a lead: from the linking event on, the lead's alerts see the profile's. */
export interface MergedProfile {
  readonly from: string;
  readonly to: string;
  /** The batch position of the event that made the link. */
  readonly index: number;
  /** The profile's alert state as the link handed it over (alert_last:*, held:*, alert:* markers). */
  readonly alertState: Readonly<Record<string, string>>;
}

/** One batch's write: how it talks to Redis, and what its rounds have found so far. */
export interface BatchWrite {
  readonly round: <S extends PortraitStep>(steps: readonly S[]) => Promise<StepResult<S>[]>;
  readonly cache: LinkCache;
  readonly namespace: string;
  readonly failed: Map<number, FailedEvent>;
  readonly landed: Map<number, Landed>;
  readonly judgments: Judgment[];
  readonly companyJudgments: CompanyJudgment[];
  readonly conflicts: { conflict: Conflict; event: TrackedEvent }[];
  readonly links: LinkRecord[];
  /** Each lead's latest counted event time in the batch, and what of it the index has been sent. */
  readonly lastSeen: Map<string, number>;
  readonly indexed: Map<string, number>;
  /** Profiles merged into leads by this batch, in order. */
  readonly merged: MergedProfile[];
  applied: number;
  duplicates: number;
  roundTrips: number;
}

/** A redirect is followed at most this often: a visitor → provisional email lead → user is two hops. */
const MAX_HOPS = 4;

export function fail(batch: BatchWrite, work: EventWork, failure: StepFailure): void {
  if (!batch.failed.has(work.index)) batch.failed.set(work.index, { index: work.index, event: work.event, failure });
}

function noteSeen(batch: BatchWrite, profile: string, c: Contribution): void {
  if (!c.f && isLead(profile) && c.t > (batch.lastSeen.get(profile) ?? Number.NEGATIVE_INFINITY)) batch.lastSeen.set(profile, c.t);
}

/** Round 0: who owns the emails and where the visitors are linked, for identifying events the cache cannot answer. */
export async function lookUp(batch: BatchWrite, events: readonly TrackedEvent[]): Promise<void> {
  const { emails, visitors } = lookupsFor(events, batch.cache);
  const steps: PortraitStep[] = [...emails.map((email) => ({ kind: 'lookupEmail' as const, email })), ...visitors.map((v) => ({ kind: 'lookupLink' as const, profile: `a:${v}` }))];
  for (const r of await batch.round(steps)) {
    if (r.kind === 'lookupEmail' && !isFailure(r.outcome) && r.outcome.owner) batch.cache.setEmailOwner(r.step.email, r.outcome.owner);
    if (r.kind === 'lookupLink' && !isFailure(r.outcome) && r.outcome.lead) batch.cache.setLink(r.step.profile, { lead: r.outcome.lead, merged: r.outcome.merged, ...(r.outcome.at !== undefined ? { at: r.outcome.at, derived: r.outcome.derived } : {}) });
  }
}

/** The time an apply happens at for a replay's clock: an event's own, a history's that of the event that linked it. */
const appliedAt = (item: Apply) => (item.from !== undefined ? item.owner.contribution.t : item.contribution.t);

interface Apply {
  readonly profile: string;
  readonly json: string;
  readonly contribution: Contribution;
  /** The event the contribution is applied for: its own, or the one whose link brought a history. */
  readonly owner: EventWork;
  /** For a history: the profile it comes from. */
  readonly from?: string;
}

/** A lead joining a company for history it took over (see joinCompany-3.lua). */
export interface Join {
  readonly kind: 'joinCompany';
  readonly company: string;
  readonly member: string;
  readonly replaces: string;
  readonly at: number;
  readonly engagements: { readonly a: string; readonly w: number; readonly t: number }[];
  readonly work: EventWork;
}

type Settled = { readonly status: 'applied' | 'duplicate'; readonly state: StateFields } | { readonly status: 'duplicate_order' };

/** Applies contributions, following redirects of profiles linked meanwhile; hands each to `settled` with the profile
 * it ended on. One that Redis refuses, or whose links do not settle, fails its owner. */
async function applyEach(batch: BatchWrite, items: readonly Apply[], settled: (item: Apply, profile: string, outcome: Settled) => void): Promise<void> {
  let pending = items;
  for (let hop = 0; pending.length > 0; hop++) {
    if (hop > MAX_HOPS) {
      for (const item of pending) fail(batch, item.owner, { status: 'failed', outage: false, refused: true, error: new Error(`profile links did not settle within ${MAX_HOPS} hops from ${item.profile} (a link cycle?)`) });
      return;
    }
    const next: Apply[] = [];
    for (const r of await batch.round(pending.map((item) => ({ kind: 'apply' as const, profile: item.profile, contribution: item.json, at: appliedAt(item), item })))) {
      if (r.kind !== 'apply') continue;
      const { item } = r.step;
      const outcome = r.outcome;
      if (isFailure(outcome)) fail(batch, item.owner, outcome);
      else if (outcome.status === 'redirect') {
        batch.cache.setLink(item.profile, { lead: outcome.to, merged: false });
        next.push({ ...item, profile: outcome.to });
      } else settled(item, item.profile, outcome);
    }
    pending = next;
  }
}

/** Round 1: each event's contribution to its profile: its first write, so one Redis refuses here leaves nothing. */
export async function applyEvents(batch: BatchWrite, works: readonly EventWork[]): Promise<void> {
  const items = works.flatMap((work) => (work.decision ? [{ profile: work.decision.profile, json: work.json, contribution: work.contribution, owner: work }] : []));
  await applyEach(batch, items, (item, profile, outcome) => {
    if (outcome.status === 'applied') batch.applied++;
    else batch.duplicates++;
    const state = 'state' in outcome ? outcome.state : undefined;
    batch.landed.set(item.owner.index, { profile, ...(state ? { state } : {}), repeatedOrder: outcome.status === 'duplicate_order' });
    if (state && item.contribution.s && isLead(profile)) batch.judgments.push({ index: item.owner.index, lead: profile, contribution: item.contribution, state });
    noteSeen(batch, profile, item.contribution);
  });
}

/** The steps of round 2, each with the event it is for. */
export type IdentityStep =
  | { readonly kind: 'company'; readonly company: string; readonly member: string; readonly contribution: string; readonly at: number; readonly work: EventWork }
  | { readonly kind: 'readGroups'; readonly company: string; readonly rules: readonly string[]; readonly work: EventWork }
  | { readonly kind: 'claim'; readonly email: string; readonly owner: string; readonly trusted?: boolean; readonly contested?: string; readonly work: EventWork }
  | { readonly kind: 'link'; readonly from: string; readonly to: string; readonly reason: Link['reason']; readonly messageId: string; readonly at: number; readonly derived: boolean; readonly work: EventWork }
  | { readonly kind: 'linkedFrom'; readonly lead: string; readonly from: string; readonly work: EventWork };

const linkSteps = (link: Link, work: EventWork): IdentityStep[] => [
  { kind: 'link', from: link.from, to: link.to, reason: link.reason, messageId: work.event.messageId, at: work.contribution.t, derived: link.derived === true, work },
  { kind: 'linkedFrom', lead: link.to, from: link.from, work },
];

/**
 * Round 2's steps for the events round 1 applied (pure): their companies (with the lead they landed on as member),
 * email claims and links the cache does not already know to be done, and the buying groups of the companies of
 * leads whose traits changed.
 */
export function identitySteps(works: readonly EventWork[], batch: Pick<BatchWrite, 'failed' | 'landed' | 'cache'>, groupRules: readonly string[]): IdentityStep[] {
  const steps: IdentityStep[] = [];
  const judgeGroupsOf = new Map<string, EventWork>();
  for (const work of works) {
    const landed = batch.landed.get(work.index);
    if (batch.failed.has(work.index) || (work.decision && !landed)) continue;
    if (work.company) steps.push({ kind: 'company', company: work.company.id, member: landed && isLead(landed.profile) ? landed.profile : '', contribution: work.company.json, at: work.contribution.t, work });
    // A claim for the event's own lead goes to the lead it landed on: a user merged by hand claims for its lead.
    const stated = work.decision?.emailClaim;
    const claim = stated && landed && stated.owner === work.decision?.profile && landed.profile !== stated.owner && isLead(landed.profile) ? { ...stated, owner: landed.profile } : stated;
    // A trusted claim is sent even when the owner is known: it confirms a provisional one (claimEmail-2.lua).
    if (claim && (batch.cache.emailOwner(claim.email) !== claim.owner || claim.trusted !== false)) steps.push({ kind: 'claim', ...claim, work });
    for (const link of work.decision?.links ?? []) {
      const known = batch.cache.linkOf(link.from);
      // Said again of a link already merged, later than its record and not a statement that would replace a derived
      // record: nothing would change (at the same time the smaller message id stands, which only the script can tell).
      if (known?.lead === link.to && known.merged && known.at !== undefined && known.at < work.contribution.t && !(known.derived && !link.derived)) continue;
      steps.push(...linkSteps(link, work));
    }
    // A member's new traits may give them a role: their buying groups are judged again at every company they act for.
    if (work.contribution.tr && groupRules.length > 0 && landed?.state && isLead(landed.profile)) for (const company of companiesOfState(landed.state)) judgeGroupsOf.set(company, work);
  }
  for (const [company, work] of judgeGroupsOf) steps.push({ kind: 'readGroups', company, rules: groupRules, work });
  return steps;
}

/** The last-seen index, only ever raised: one ZADD GT per shard, for the leads whose latest time grew since sent. */
export function indexSteps(batch: Pick<BatchWrite, 'lastSeen' | 'indexed' | 'namespace'>): { kind: 'lastSeen'; key: string; entries: [number, string][] }[] {
  const shards = new Map<string, [number, string][]>();
  for (const [profile, t] of batch.lastSeen) {
    if (t <= (batch.indexed.get(profile) ?? Number.NEGATIVE_INFINITY)) continue;
    batch.indexed.set(profile, t);
    const key = lastSeenIndexKey(batch.namespace, profile);
    shards.set(key, [...(shards.get(key) ?? []), [t, profile]]);
  }
  return [...shards].map(([key, entries]) => ({ kind: 'lastSeen' as const, key, entries }));
}

/**
 * Reads round 2's results: company states to judge, claims and links as Redis settled them (into the cache, the link
 * records, the conflicts), the histories newly linked profiles hand over; and, when another worker linked a visitor
 * first, the steps that link the two leads as this worker would have, had it known (`settleRaces`).
 */
export function readIdentity(batch: BatchWrite, results: readonly StepResult<IdentityStep | PortraitStep>[], merges: Merge[], settleRaces: boolean): IdentityStep[] {
  const raced = new Map<string, IdentityStep[]>();
  for (const r of results) {
    if (!('work' in r.step)) continue;
    const { work } = r.step as IdentityStep;
    if (isFailure(r.outcome)) {
      fail(batch, work, r.outcome);
      continue;
    }
    if (r.kind === 'company' && (r.outcome.status === 'applied' || r.outcome.status === 'duplicate') && work.company?.contribution.bg) {
      batch.companyJudgments.push({ company: r.step.company, messageId: work.event.messageId, at: work.contribution.t, flagged: work.company.contribution.f, rules: work.company.contribution.bg.map((g) => g.a), groups: r.outcome.groups });
    } else if (r.kind === 'readGroups' && r.outcome.status === 'read') {
      batch.companyJudgments.push({ company: r.step.company, messageId: work.event.messageId, at: work.contribution.t, flagged: work.contribution.f, rules: r.step.rules, groups: r.outcome.groups });
    } else if (r.kind === 'claim') {
      const { email, owner } = r.step;
      if (r.outcome.status === 'claimed') batch.cache.setEmailOwner(email, owner);
      else if (r.outcome.status === 'taken') {
        // A trusted source's claim wins over a browser's provisional one, and is recorded.
        batch.cache.setEmailOwner(email, owner);
        batch.conflicts.push({ event: work.event, conflict: { kind: 'email_taken_from_provisional_claim', profile: owner, claimedBy: owner, existing: r.outcome.owner, detail: `${email} was ${r.outcome.owner}'s by a provisional (browser) claim; a trusted source gave it to ${owner}` } });
      } else if (r.outcome.status === 'conflict') {
        batch.cache.setEmailOwner(email, r.outcome.owner);
        if (!claimGivesWay({ email, owner }, r.outcome.owner)) batch.conflicts.push({ event: work.event, conflict: { kind: 'email_owned_by_another_lead', profile: owner, claimedBy: owner, existing: r.outcome.owner, detail: `${email} already belongs to ${r.outcome.owner}` } });
      }
    } else if (r.kind === 'link') {
      const { from, to, reason } = r.step as Extract<IdentityStep, { kind: 'link' }>;
      const outcome = r.outcome;
      if (outcome.status === 'linked') {
        batch.cache.setLink(from, { lead: to, at: outcome.at, derived: outcome.derived, merged: outcome.merged });
        batch.links.push({ from, to, reason: outcome.reason, messageId: outcome.messageId, at: outcome.at });
        if (!outcome.merged && !merges.some((m) => m.from === from)) merges.push({ work, from, to, alertState: outcome.alertState, history: outcome.history });
      } else if (outcome.status === 'conflict') {
        const settled = settleRaces && from.startsWith('a:') ? settleVisitorRace({ from, to, reason }, outcome.existing) : undefined;
        batch.cache.setLink(from, { lead: outcome.existing, merged: false });
        const key = settled && `${settled.link.from}>${settled.link.to}`;
        if (settled && key && !raced.has(key)) raced.set(key, [...(settled.emailClaim ? [{ kind: 'claim' as const, ...settled.emailClaim, work }] : []), ...linkSteps(settled.link, work)]);
        else if (!settled) batch.conflicts.push({ event: work.event, conflict: { kind: 'anonymous_linked_elsewhere', profile: from, claimedBy: to, existing: outcome.existing, detail: `${from} is already linked to ${outcome.existing}; ${to} claims it too` } });
      }
    }
  }
  return [...raced.values()].flat();
}

/**
 * Round 3: newly linked profiles' alert state and histories taken over by their leads, judged like any event; the
 * companies those histories were at, which the lead joins in round 4 (returned).
 */
export async function takeOverHistories(batch: BatchWrite, merges: readonly Merge[]): Promise<Join[]> {
  const carries = merges.filter((m) => m.alertState !== '{}').map((m) => ({ kind: 'carryAlerts' as const, lead: m.to, fields: m.alertState, work: m.work }));
  for (const r of await batch.round(carries)) if (isFailure(r.outcome)) fail(batch, r.step.work, r.outcome);
  const items = merges
    .filter((m) => !batch.failed.has(m.work.index))
    .flatMap((m) => m.history.map((json) => ({ profile: m.to, json, contribution: JSON.parse(json) as Contribution, owner: m.work, from: m.from })));
  const joins = new Map<string, Join>();
  await applyEach(batch, items, (item, profile, outcome) => {
    const c = item.contribution;
    // Judged after every link of the batch is made (whichever hop a history came over): as at the batch's end.
    if ('state' in outcome && c.s && isLead(profile)) batch.judgments.push({ index: Number.MAX_SAFE_INTEGER, at: item.owner.contribution.t, lead: profile, contribution: c, state: outcome.state, ...(item.from && isLead(item.from) ? { judgedBefore: true } : {}) });
    noteSeen(batch, profile, c);
    if (!c.co || !isLead(profile)) return;
    const key = `${c.co}\t${profile}\t${item.from ?? ''}`;
    const join = joins.get(key) ?? { kind: 'joinCompany' as const, company: c.co, member: profile, replaces: item.from ?? '', at: c.t, engagements: [], work: item.owner };
    const engagements = [...join.engagements];
    for (const g of c.f ? [] : (c.cb ?? [])) {
      const i = engagements.findIndex((e) => e.a === g.a);
      if (i < 0) engagements.push({ ...g, t: c.t });
      else engagements[i] = { ...g, t: Math.max(c.t, (engagements[i] as { t: number }).t) };
    }
    joins.set(key, { ...join, at: Math.max(join.at, c.t), engagements });
  });
  return [...joins.values()];
}

/**
 * Round 4: links whose histories are in their leads marked merged, the companies of those histories joined (their
 * buying groups to judge), and the index raised by those histories.
 */
export async function markMerged(batch: BatchWrite, merges: readonly Merge[], joins: readonly Join[]): Promise<void> {
  const done = merges.filter((m) => !batch.failed.has(m.work.index));
  const steps = [...done.map((merge) => ({ kind: 'merge' as const, profile: merge.from, merge })), ...joins.filter((j) => !batch.failed.has(j.work.index)), ...indexSteps(batch)];
  for (const r of await batch.round<PortraitStep>(steps)) {
    if (r.kind === 'merge') {
      const { merge } = r.step as unknown as { merge: Merge };
      if (isFailure(r.outcome)) fail(batch, merge.work, r.outcome);
      else {
        batch.cache.setLink(merge.from, { lead: merge.to, merged: true });
        batch.merged.push({ from: merge.from, to: merge.to, index: merge.work.index, alertState: JSON.parse(merge.alertState) as Record<string, string> });
      }
    } else if (r.kind === 'joinCompany') {
      const join = r.step as unknown as Join;
      if (isFailure(r.outcome)) fail(batch, join.work, r.outcome);
      else if (join.engagements.length > 0) batch.companyJudgments.push({ company: join.company, messageId: join.work.event.messageId, at: join.work.contribution.t, flagged: false, rules: join.engagements.map((e) => e.a), groups: r.outcome.groups });
    }
  }
}
