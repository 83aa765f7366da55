import type { ChainableCommander, Redis } from 'ioredis';
import { claimGivesWay, claimsOf, companyOf, decideIdentity, isCompanyOnly, isLead, settleVisitorRace, type Conflict, type IdentityDecision, type Link } from '@leadscore/identity';
import type { TrackedEvent } from '@leadscore/events';
import { alertStateFields, companyKeys, emailOwnerKey, hashFromReply, lastSeenIndexKey, profileKeys, type PortraitScripts } from '@leadscore/portrait';
import { companyContributionOf, contributionOf, type Contribution, type Rules } from '@leadscore/scoring';
import type { LinkCache } from './link-cache.ts';

export interface PortraitWriterSettings {
  readonly namespace: string;
  readonly dedupWindowMs: number;
  readonly profileLogCap: number;
  readonly freeMailDomains: ReadonlySet<string>;
  /** The scoring rules in force: what each event weighs, for how long. */
  readonly rules: () => Rules;
  /** Where days are counted when the rules name no zone. */
  readonly timeZone: string;
}

export interface PortraitWriterDeps {
  readonly redis: Redis;
  readonly scripts: PortraitScripts;
  readonly links: LinkCache;
  readonly now?: () => number;
}

/** What the portrait writes of one batch told the warehouse and the metrics. */
export interface PortraitOutcome {
  readonly applied: number;
  readonly duplicates: number;
  /** Links the stores agreed to (new or said again), for identity_links. */
  readonly links: { readonly link: Link; readonly event: TrackedEvent }[];
  readonly conflicts: { readonly conflict: Conflict; readonly event: TrackedEvent }[];
  /** Companies' states after events that matter to buying groups, with the member who acted. */
  readonly companyStates: { readonly event: TrackedEvent; readonly company: string; readonly state: Record<string, string> }[];
  /** Leads' states after their events, where the rules want alerts decided (a replay included). */
  readonly states: { readonly event: TrackedEvent; readonly profile: string; readonly state: Record<string, string> }[];
  /** The score ledger lines of the batch's events, with the profile each was applied to first. */
  readonly ledger: { readonly event: TrackedEvent; readonly profile: string; readonly lines: NonNullable<Contribution['l']> }[];
  readonly roundTrips: number;
}

type ScriptReply = [string, ...string[]];

/** Score ledger lines kept with a profile in Redis, for "why is this lead hot?" at a glance; ClickHouse keeps all. */
const LEDGER_CAP = 200;

/** A redirect is followed at most this often: a visitor → provisional email lead → user is two hops. */
const MAX_HOPS = 4;

/**
 * Applies a batch of events to the portraits in Redis: identity first (who the event belongs to, links of visitors
 * and provisional leads into leads, email claims), then each event to its profile and company, once (dedup by
 * messageId inside each profile's script). One pipelined round trip does the work; a lookup round trip comes first
 * only for identifying events whose links the worker has not cached, and one more per hop when a visitor was linked
 * meanwhile or a link replays a history.
 */
export function createPortraitWriter(settings: PortraitWriterSettings, deps: PortraitWriterDeps) {
  const { redis, scripts, links: cache } = deps;
  const now = deps.now ?? Date.now;
  const ns = settings.namespace;

  // The state fields alert decisions read, worked out once per rules version.
  let replyFields: { rules: Rules; fields: string[] } | undefined;
  const fieldsFor = (rules: Rules) => {
    if (replyFields?.rules !== rules) replyFields = { rules, fields: alertStateFields(rules) };
    return replyFields.fields;
  };
  const queueApply = (pipeline: ChainableCommander, profile: string, contribution: string, fields: readonly string[]) => {
    const k = profileKeys(ns, profile);
    scripts.applyEvent.queue(pipeline, [k.state, k.traits, k.seen, k.orders, k.log, k.ledger], [now(), settings.dedupWindowMs, settings.profileLogCap, contribution, LEDGER_CAP, ...fields]);
  };

  async function exec(pipeline: ChainableCommander): Promise<unknown[]> {
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, value]) => {
      if (err) throw err;
      return value;
    });
  }

  /** Who owns the emails and where the visitors are linked, for identifying events not answered by the cache. */
  async function lookUp(events: readonly TrackedEvent[]): Promise<number> {
    const emails = new Set<string>();
    const visitors = new Set<string>();
    for (const e of events) {
      const claims = claimsOf(e);
      if (!claims.userId && !claims.email) continue;
      if (claims.email && cache.emailOwner(claims.email) === undefined) emails.add(claims.email);
      if (claims.anonymousId && cache.visitorLead(claims.anonymousId) === undefined) visitors.add(claims.anonymousId);
    }
    if (emails.size === 0 && visitors.size === 0) return 0;
    const pipeline = redis.pipeline();
    const emailList = [...emails];
    const visitorList = [...visitors];
    for (const email of emailList) pipeline.get(emailOwnerKey(ns, email));
    for (const visitor of visitorList) pipeline.hget(profileKeys(ns, `a:${visitor}`).state, 'linked_to');
    const answers = (await exec(pipeline)) as (string | null)[];
    emailList.forEach((email, i) => answers[i] && cache.setEmailOwner(email, answers[i] as string));
    visitorList.forEach((visitor, i) => {
      const lead = answers[emailList.length + i];
      if (lead) cache.setVisitorLead(visitor, lead);
    });
    return 1;
  }

  /**
   * The links (and claims) that settle visitors two workers linked to different leads at once (settleVisitorRace), in
   * one round trip; returns the histories to replay. What still does not fit is a conflict for a person.
   */
  async function settleRaces(
    races: readonly { event: TrackedEvent; link: Link; emailClaim?: { email: string; owner: string } }[],
    agreedLinks: PortraitOutcome['links'],
    conflicts: PortraitOutcome['conflicts'],
  ): Promise<{ profile: string; contribution: string; counts: boolean }[]> {
    const p = redis.pipeline();
    const at = now();
    for (const { event, link, emailClaim } of races) {
      if (emailClaim) scripts.claimEmail.queue(p, [emailOwnerKey(ns, emailClaim.email)], [emailClaim.owner]);
      const from = profileKeys(ns, link.from);
      scripts.linkProfile.queue(p, [from.state, from.log, from.link], [link.to, link.reason, event.messageId, at]);
      p.sadd(profileKeys(ns, link.to).from, link.from);
    }
    const replies = (await exec(p)) as ScriptReply[];
    const histories: { profile: string; contribution: string; counts: boolean }[] = [];
    let i = 0;
    for (const { event, link, emailClaim } of races) {
      if (emailClaim) {
        const claimed = replies[i++] as ScriptReply;
        if (claimed[0] === 'conflict') {
          const existing = claimed[1] as string;
          cache.setEmailOwner(emailClaim.email, existing);
          conflicts.push({ conflict: { kind: 'email_owned_by_another_lead', profile: emailClaim.owner, claimedBy: emailClaim.owner, existing, detail: `${emailClaim.email} already belongs to ${existing}` }, event });
        } else cache.setEmailOwner(emailClaim.email, emailClaim.owner);
      }
      const linked = replies[i++] as ScriptReply;
      i++; // the SADD
      if (linked[0] === 'conflict') {
        conflicts.push({ conflict: { kind: 'anonymous_linked_elsewhere', profile: link.from, claimedBy: link.to, existing: linked[1] as string, detail: `${link.from} is already linked to ${linked[1]}; ${link.to} claims it too` }, event });
        continue;
      }
      agreedLinks.push({ link, event });
      for (const history of linked.slice(1)) histories.push({ profile: link.to, contribution: history, counts: false });
    }
    return histories;
  }

  return {
    async write(events: readonly TrackedEvent[]): Promise<PortraitOutcome> {
      let roundTrips = await lookUp(events);

      // Decide in order, each decision seeing the links and claims of the events before it in the batch.
      const rules = settings.rules();
      const decisions: { event: TrackedEvent; decision?: IdentityDecision; contribution: string; company?: string; companyContribution?: string }[] = [];
      const ledger: PortraitOutcome['ledger'][number][] = [];
      for (const event of events) {
        const company = companyOf(event, settings.freeMailDomains);
        const base = contributionOf(event, rules, settings.timeZone);
        const scored = company ? { ...base, co: company } : base;
        const contribution = JSON.stringify(scored);
        const forCompany = company ? { company, companyContribution: JSON.stringify(companyContributionOf(event, rules, base)) } : {};
        if (isCompanyOnly(event)) {
          decisions.push({ event, contribution, ...forCompany });
          continue;
        }
        const claims = claimsOf(event);
        const owner = claims.email ? cache.emailOwner(claims.email) : undefined;
        const linked = claims.anonymousId ? cache.visitorLead(claims.anonymousId) : undefined;
        const decision = decideIdentity(event, claims, { ...(owner ? { emailOwner: owner } : {}), ...(linked ? { anonymousLinkedTo: linked } : {}) });
        if (scored.l) ledger.push({ event, profile: decision.profile, lines: scored.l });
        if (decision.emailClaim) cache.setEmailOwner(decision.emailClaim.email, decision.emailClaim.owner);
        for (const link of decision.links) if (link.from.startsWith('a:')) cache.setVisitorLead(link.from.slice(2), link.to);
        decisions.push({ event, decision, contribution, ...forCompany });
      }

      // The round trip that does the work, in event order.
      const pipeline = redis.pipeline();
      type Step =
        | { kind: 'claim'; event: TrackedEvent; email: string; owner: string }
        | { kind: 'link'; event: TrackedEvent; link: Link }
        | { kind: 'apply'; event: TrackedEvent; profile: string; contribution: string }
        | { kind: 'company'; event: TrackedEvent; company: string }
        | { kind: 'other' };
      const steps: Step[] = [];
      const at = now();
      const fields = fieldsFor(rules);
      // The last-seen index: each profile's latest unflagged event time of the batch, one ZADD GT per index shard at
      // the end of the round trip (not one per event: the index is only ever raised).
      const lastSeen = new Map<string, number>();
      for (const { event, decision, contribution, company, companyContribution } of decisions) {
        if (decision) {
          if (decision.emailClaim) {
            scripts.claimEmail.queue(pipeline, [emailOwnerKey(ns, decision.emailClaim.email)], [decision.emailClaim.owner]);
            steps.push({ kind: 'claim', event, ...decision.emailClaim });
          }
          for (const link of decision.links) {
            const from = profileKeys(ns, link.from);
            scripts.linkProfile.queue(pipeline, [from.state, from.log, from.link], [link.to, link.reason, event.messageId, at]);
            steps.push({ kind: 'link', event, link });
            pipeline.sadd(profileKeys(ns, link.to).from, link.from);
            steps.push({ kind: 'other' });
          }
          queueApply(pipeline, decision.profile, contribution, fields);
          steps.push({ kind: 'apply', event, profile: decision.profile, contribution });
          if (event.flags.length === 0) {
            const t = Date.parse(event.timestamp);
            if (t > (lastSeen.get(decision.profile) ?? Number.NEGATIVE_INFINITY)) lastSeen.set(decision.profile, t);
          }
        }
        if (company && companyContribution) {
          const k = companyKeys(ns, company);
          const member = decision && isLead(decision.profile) ? decision.profile : '';
          scripts.applyCompany.queue(pipeline, [k.state, k.traits, k.seen, k.members, k.orders], [at, settings.dedupWindowMs, companyContribution, member]);
          steps.push({ kind: 'company', event, company });
        }
      }
      const shards = new Map<string, (string | number)[]>();
      for (const [profile, t] of lastSeen) {
        const key = lastSeenIndexKey(ns, profile);
        const members = shards.get(key) ?? [];
        if (members.length === 0) shards.set(key, members);
        members.push(t, profile);
      }
      for (const [key, members] of shards) pipeline.zadd(key, 'GT', ...members);
      const replies = await exec(pipeline);
      roundTrips++;

      let applied = 0;
      let duplicates = 0;
      // An order already counted under another message id adds no heat, so it has no ledger lines either.
      const repeatedOrders = new Set<string>();
      const states: PortraitOutcome['states'][number][] = [];
      const companyStates: PortraitOutcome['companyStates'][number][] = [];
      const keepState = (event: TrackedEvent, profile: string, reply: ScriptReply) => {
        if (reply.length > 1 && (reply[0] === 'applied' || reply[0] === 'duplicate') && isLead(profile)) states.push({ event, profile, state: hashFromReply(reply.slice(1)) });
      };
      const agreedLinks: PortraitOutcome['links'] = [];
      const conflicts: PortraitOutcome['conflicts'] = [];
      for (const { event, decision } of decisions) for (const conflict of decision?.conflicts ?? []) conflicts.push({ conflict, event });

      // Work that the replies hand back: histories of linked profiles to replay, and redirected events.
      let pending: { profile: string; contribution: string; counts: boolean; event?: TrackedEvent }[] = [];
      const raced = new Map<string, { event: TrackedEvent; link: Link; emailClaim?: { email: string; owner: string } }>();
      steps.forEach((step, i) => {
        const reply = replies[i] as ScriptReply;
        if (step.kind === 'claim' && reply[0] === 'conflict') {
          const existing = reply[1] as string;
          cache.setEmailOwner(step.email, existing);
          if (!claimGivesWay(step, existing)) {
            conflicts.push({ conflict: { kind: 'email_owned_by_another_lead', profile: step.owner, claimedBy: step.owner, existing, detail: `${step.email} already belongs to ${existing}` }, event: step.event });
          }
        } else if (step.kind === 'link') {
          const settled = reply[0] === 'conflict' && step.link.from.startsWith('a:') ? settleVisitorRace(step.link, reply[1] as string) : undefined;
          if (settled) {
            // Another worker linked the visitor first; link the two leads as this worker would have, had it known.
            cache.setVisitorLead(step.link.from.slice(2), settled.link.to);
            const key = `${settled.link.from}>${settled.link.to}`;
            if (!raced.has(key)) raced.set(key, { event: step.event, ...settled });
          } else if (reply[0] === 'conflict') {
            const existing = reply[1] as string;
            if (step.link.from.startsWith('a:')) cache.setVisitorLead(step.link.from.slice(2), existing);
            conflicts.push({
              conflict: { kind: 'anonymous_linked_elsewhere', profile: step.link.from, claimedBy: step.link.to, existing, detail: `${step.link.from} is already linked to ${existing}; ${step.link.to} claims it too` },
              event: step.event,
            });
          } else {
            agreedLinks.push({ link: step.link, event: step.event });
            for (const history of reply.slice(1)) pending.push({ profile: step.link.to, contribution: history, counts: false });
          }
        } else if (step.kind === 'company') {
          if (reply.length > 1) companyStates.push({ event: step.event, company: step.company, state: hashFromReply(reply.slice(1)) });
        } else if (step.kind === 'apply') {
          keepState(step.event, step.profile, reply);
          if (reply[0] === 'duplicate_order') repeatedOrders.add(step.event.messageId);
          if (reply[0] === 'applied') applied++;
          else if (reply[0] === 'redirect') {
            // Linked by another worker since: remember it, so the visitor's next events go straight to the lead.
            if (step.profile.startsWith('a:')) cache.setVisitorLead(step.profile.slice(2), reply[1] as string);
            pending.push({ profile: reply[1] as string, contribution: step.contribution, counts: true, event: step.event });
          }
          else duplicates++;
        }
      });

      if (raced.size > 0) {
        roundTrips++;
        pending.push(...(await settleRaces([...raced.values()], agreedLinks, conflicts)));
      }

      for (let hop = 0; pending.length > 0; hop++) {
        if (hop >= MAX_HOPS) throw new Error(`profile links did not settle within ${MAX_HOPS} hops (a link cycle?)`);
        const p = redis.pipeline();
        for (const item of pending) queueApply(p, item.profile, item.contribution, fields);
        const answers = (await exec(p)) as ScriptReply[];
        roundTrips++;
        const next: typeof pending = [];
        answers.forEach((reply, i) => {
          const item = pending[i]!;
          if (reply[0] === 'redirect') next.push({ ...item, profile: reply[1] as string });
          else if (item.counts) {
            if (item.event) keepState(item.event, item.profile, reply);
            if (reply[0] === 'duplicate_order' && item.event) repeatedOrders.add(item.event.messageId);
            if (reply[0] === 'applied') applied++;
            else duplicates++;
          }
        });
        pending = next;
      }
      return { applied, duplicates, links: agreedLinks, conflicts, states, companyStates, ledger: ledger.filter((l) => !repeatedOrders.has(l.event.messageId)), roundTrips };
    },
  };
}

export type PortraitWriter = ReturnType<typeof createPortraitWriter>;
