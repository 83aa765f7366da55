import type { Redis } from 'ioredis';
import type { TrackedEvent } from '@leadscore/events';
import { claimGivesWay, isLead, settleVisitorRace, type Conflict, type Link } from '@leadscore/identity';
import { companyOfState, isFailure, lastSeenIndexKey, runSteps, type PortraitLayout, type PortraitScripts, type PortraitStep, type StateFields, type StepFailure, type StepResult } from '@leadscore/portrait';
import type { Contribution, Rules } from '@leadscore/scoring';
import type { LinkCache } from './link-cache.ts';
import { lookupsFor, planEvents, type EventWork, type PlanSettings, type Refusal } from './portrait-plan.ts';

export interface PortraitWriterSettings extends PlanSettings {
  /** The layout's bounds; `alertFields` follows the rules in force. */
  readonly layout: Omit<PortraitLayout, 'alertFields'>;
  readonly rules: () => Rules;
  readonly alertFields: (rules: Rules) => readonly string[];
}

export interface PortraitWriterDeps {
  readonly redis: Redis;
  readonly scripts: PortraitScripts;
  readonly links: LinkCache;
  readonly now?: () => number;
}

/** A contribution applied to a lead, with the lead's state after it: what alert rules judge. */
export interface Judgment {
  readonly lead: string;
  readonly contribution: Contribution;
  readonly state: StateFields;
}

/** A company's buying groups to judge: after a member's engagement (its contribution's rules), or after a member's
 * traits changed (every buying-group rule). */
export interface CompanyJudgment {
  readonly company: string;
  readonly messageId: string;
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

/** What writing a batch to the portraits did. */
export interface PortraitOutcome {
  readonly applied: number;
  readonly duplicates: number;
  /** Events refused before anything was written (no identity, unusable contribution). */
  readonly refused: readonly Refusal[];
  /** Events a store step failed on, by batch index; an event here may have had earlier steps written. */
  readonly failed: readonly { readonly index: number; readonly event: TrackedEvent; readonly failure: StepFailure }[];
  readonly links: readonly LinkRecord[];
  readonly conflicts: readonly { readonly conflict: Conflict; readonly event: TrackedEvent }[];
  readonly judgments: readonly Judgment[];
  readonly companyJudgments: readonly CompanyJudgment[];
  /** Score ledger lines of the events applied (not of orders counted before), with the profile they went to. */
  readonly ledger: readonly { readonly event: TrackedEvent; readonly profile: string; readonly lines: NonNullable<Contribution['l']> }[];
  readonly roundTrips: number;
}

/** A redirect is followed at most this often: a visitor → provisional email lead → user is two hops. */
const MAX_HOPS = 4;

/** Raised for an outage: nothing of the batch may be committed; it is retried as a whole. */
export class StoreOutageError extends Error {
  override readonly name = 'StoreOutageError';
}

/**
 * Writes a batch of events to the portraits in Redis, in rounds of one pipelined round trip each:
 *   0. look up what identity decisions need and the cache cannot say (only for identifying events);
 *   1. each event applied to its profile, following redirects of profiles linked meanwhile — an event's first
 *      write, so an event Redis refuses here leaves nothing behind;
 *   2. for the events applied: their company, their email claims and links, the last-seen index, and the buying
 *      groups of leads whose traits changed (races between workers settled in one more round);
 *   3. the histories of newly linked profiles replayed into their leads (and their alert state carried over),
 *      judged for alerts like any event;
 *   4. those links marked merged, so a history is counted once however often the link is said again.
 * Each round is planned as typed steps and read from its results by value.
 */
export function createPortraitWriter(settings: PortraitWriterSettings, deps: PortraitWriterDeps) {
  const { redis, scripts, links: cache } = deps;
  const clock = deps.now ?? Date.now;
  let fieldsFor: { rules: Rules; fields: readonly string[] } | undefined;

  const layoutFor = (rules: Rules): PortraitLayout => {
    if (fieldsFor?.rules !== rules) fieldsFor = { rules, fields: settings.alertFields(rules) };
    return { ...settings.layout, alertFields: fieldsFor.fields };
  };

  return {
    /** Records that crossings still hold (see decideAlerts), after their firings are marked. */
    async raiseHolds(holds: readonly { readonly subject: string; readonly holds: readonly { readonly ruleId: string; readonly until: number }[] }[]): Promise<void> {
      const steps = holds.filter((h) => h.holds.length > 0).map((h) => ({ kind: 'raiseHeld' as const, ...h }));
      for (const r of await runSteps(redis, scripts, layoutFor(settings.rules()), steps, clock())) if (isFailure(r.outcome)) throw new StoreOutageError(`Redis refused to record holds: ${r.outcome.error.message}`, { cause: r.outcome.error });
    },

    async write(events: readonly TrackedEvent[]): Promise<PortraitOutcome> {
      const rules = settings.rules();
      const layout = layoutFor(rules);
      const now = clock();
      let roundTrips = 0;
      const round = async <S extends PortraitStep>(steps: readonly S[]): Promise<StepResult<S>[]> => {
        if (steps.length === 0) return [];
        roundTrips++;
        const results = await runSteps(redis, scripts, layout, steps, now);
        const outage = results.find((r) => isFailure(r.outcome) && r.outcome.outage);
        if (outage) throw new StoreOutageError(`Redis refused a ${outage.kind} step: ${(outage.outcome as StepFailure).error.message}`, { cause: (outage.outcome as StepFailure).error });
        return results;
      };

      // 0. Lookups.
      const { emails, visitors } = lookupsFor(events, cache);
      for (const r of await round<PortraitStep>([...emails.map((email) => ({ kind: 'lookupEmail' as const, email })), ...visitors.map((v) => ({ kind: 'lookupLink' as const, profile: `a:${v}` }))])) {
        if (r.kind === 'lookupEmail' && !isFailure(r.outcome) && r.outcome.owner) cache.setEmailOwner(r.step.email, r.outcome.owner);
        if (r.kind === 'lookupLink' && !isFailure(r.outcome) && r.outcome.lead) cache.setLink(r.step.profile, { lead: r.outcome.lead, merged: r.outcome.merged, ...(r.outcome.at !== undefined ? { at: r.outcome.at } : {}) });
      }

      const planned = planEvents(events, cache, rules, settings);
      const refused = planned.flatMap((p) => (p.ok ? [] : [p]));
      const works = planned.flatMap((p) => (p.ok ? [p.work] : []));
      const failed = new Map<number, { index: number; event: TrackedEvent; failure: StepFailure }>();
      const fail = (work: EventWork, failure: StepFailure) => {
        if (!failed.has(work.index)) failed.set(work.index, { index: work.index, event: work.event, failure });
      };
      const judgments: Judgment[] = [];
      const companyJudgments: CompanyJudgment[] = [];
      const conflicts: { conflict: Conflict; event: TrackedEvent }[] = [];
      const linkRecords: LinkRecord[] = [];
      const lastSeen = new Map<string, number>();
      const noteSeen = (profile: string, c: Contribution) => {
        if (!c.f && isLead(profile) && c.t > (lastSeen.get(profile) ?? Number.NEGATIVE_INFINITY)) lastSeen.set(profile, c.t);
      };
      for (const work of works) for (const conflict of work.decision?.conflicts ?? []) conflicts.push({ conflict, event: work.event });

      /**
       * Applies contributions to profiles, following redirects; calls `settled` with the profile each one ended on
       * and its outcome, and `failedOn` for those Redis refused or whose links do not settle.
       */
      type Apply = { profile: string; json: string; contribution: Contribution; owner: EventWork };
      const applyAll = async (items: Apply[], settled: (item: Apply, profile: string, outcome: Exclude<StepResult['outcome'], StepFailure> & { status: 'applied' | 'duplicate' | 'duplicate_order' }) => void) => {
        let pending = items;
        for (let hop = 0; pending.length > 0; hop++) {
          if (hop > MAX_HOPS) {
            for (const item of pending) fail(item.owner, { status: 'failed', outage: false, refused: true, error: new Error(`profile links did not settle within ${MAX_HOPS} hops from ${item.profile} (a link cycle?)`) });
            return;
          }
          const next: Apply[] = [];
          for (const r of await round(pending.map((item) => ({ kind: 'apply' as const, profile: item.profile, contribution: item.json, item })))) {
            if (r.kind !== 'apply') continue;
            const { item } = r.step;
            const outcome = r.outcome;
            if (isFailure(outcome)) fail(item.owner, outcome);
            else if (outcome.status === 'redirect') {
              cache.setLink(item.profile, { lead: outcome.to, merged: false });
              next.push({ ...item, profile: outcome.to });
            } else settled(item, item.profile, outcome);
          }
          pending = next;
        }
      };

      // 1. Each event to its profile.
      let applied = 0;
      let duplicates = 0;
      const final = new Map<number, { profile: string; state?: StateFields; repeatedOrder: boolean }>();
      await applyAll(
        works.flatMap((work) => (work.decision ? [{ profile: work.decision.profile, json: work.json, contribution: work.contribution, owner: work }] : [])),
        (item, profile, outcome) => {
          if (outcome.status === 'applied') applied++;
          else duplicates++;
          const state = 'state' in outcome ? outcome.state : undefined;
          final.set(item.owner.index, { profile, ...(state ? { state } : {}), repeatedOrder: outcome.status === 'duplicate_order' });
          if (state && item.contribution.s && isLead(profile)) judgments.push({ lead: profile, contribution: item.contribution, state });
          noteSeen(profile, item.contribution);
        },
      );

      // 2. Companies, claims, links, the last-seen index, buying groups of leads whose traits changed.
      const groupRules = rules.alerts.flatMap((a) => (a.kind === 'buying_group' ? [a.id] : []));
      type Identity =
        | { kind: 'company'; company: string; member: string; contribution: string; work: EventWork }
        | { kind: 'readGroups'; company: string; rules: readonly string[]; work: EventWork }
        | { kind: 'claim'; email: string; owner: string; work: EventWork }
        | { kind: 'link'; from: string; to: string; reason: Link['reason']; messageId: string; at: number; work: EventWork }
        | { kind: 'linkedFrom'; lead: string; from: string; work: EventWork };
      const second: Identity[] = [];
      const judgeGroupsOf = new Map<string, EventWork>();
      const linkSteps = (link: Link, work: EventWork): Identity[] => [
        { kind: 'link', from: link.from, to: link.to, reason: link.reason, messageId: work.event.messageId, at: work.contribution.t, work },
        { kind: 'linkedFrom', lead: link.to, from: link.from, work },
      ];
      for (const work of works) {
        if (failed.has(work.index)) continue;
        const landed = final.get(work.index);
        if (work.decision && !landed) continue;
        if (work.company) second.push({ kind: 'company', company: work.company.id, member: landed && isLead(landed.profile) ? landed.profile : '', contribution: work.company.json, work });
        const claim = work.decision?.emailClaim;
        if (claim && cache.emailOwner(claim.email) !== claim.owner) second.push({ kind: 'claim', ...claim, work });
        for (const link of work.decision?.links ?? []) {
          const known = cache.linkOf(link.from);
          // Said again of a link already merged, and no earlier than its record: nothing would change.
          if (known?.lead === link.to && known.merged && known.at !== undefined && known.at <= work.contribution.t) continue;
          second.push(...linkSteps(link, work));
        }
        const company = landed?.state ? companyOfState(landed.state) : undefined;
        if (work.contribution.tr && groupRules.length > 0 && company && landed && isLead(landed.profile)) judgeGroupsOf.set(company, work);
      }
      for (const [company, work] of judgeGroupsOf) second.push({ kind: 'readGroups', company, rules: groupRules, work });
      // The last-seen index is only ever raised: one ZADD GT per shard, for the profiles whose latest time grew.
      const indexed = new Map<string, number>();
      const indexSteps = () => {
        const shards = new Map<string, [number, string][]>();
        for (const [profile, t] of lastSeen) {
          if (t <= (indexed.get(profile) ?? Number.NEGATIVE_INFINITY)) continue;
          indexed.set(profile, t);
          const key = lastSeenIndexKey(settings.layout.namespace, profile);
          shards.set(key, [...(shards.get(key) ?? []), [t, profile]]);
        }
        return [...shards].map(([key, entries]) => ({ kind: 'lastSeen' as const, key, entries }));
      };

      type Merge = { work: EventWork; from: string; to: string; alertState: string; history: readonly string[] };
      const merges: Merge[] = [];
      const raced = new Map<string, Identity[]>();
      const readIdentity = (results: StepResult<Identity | PortraitStep>[], settleRaces: boolean) => {
        for (const r of results) {
          if (!('work' in r.step)) continue;
          const work = (r.step as Identity).work;
          if (isFailure(r.outcome)) {
            fail(work, r.outcome);
            continue;
          }
          if (r.kind === 'company' && (r.outcome.status === 'applied' || r.outcome.status === 'duplicate') && work.company?.contribution.bg) {
            companyJudgments.push({ company: r.step.company, messageId: work.event.messageId, flagged: work.company.contribution.f, rules: work.company.contribution.bg.map((g) => g.a), groups: r.outcome.groups });
          } else if (r.kind === 'readGroups' && r.outcome.status === 'read') {
            companyJudgments.push({ company: r.step.company, messageId: work.event.messageId, flagged: work.contribution.f, rules: r.step.rules, groups: r.outcome.groups });
          } else if (r.kind === 'claim') {
            const { email, owner } = r.step;
            if (r.outcome.status === 'claimed') cache.setEmailOwner(email, owner);
            else if (r.outcome.status === 'conflict') {
              cache.setEmailOwner(email, r.outcome.owner);
              if (!claimGivesWay({ email, owner }, r.outcome.owner)) conflicts.push({ event: work.event, conflict: { kind: 'email_owned_by_another_lead', profile: owner, claimedBy: owner, existing: r.outcome.owner, detail: `${email} already belongs to ${r.outcome.owner}` } });
            }
          } else if (r.kind === 'link') {
            const { from, to, reason } = r.step as Extract<Identity, { kind: 'link' }>;
            const outcome = r.outcome;
            if (outcome.status === 'linked') {
              cache.setLink(from, { lead: to, at: outcome.at, merged: outcome.merged });
              linkRecords.push({ from, to, reason: outcome.reason, messageId: outcome.messageId, at: outcome.at });
              if (!outcome.merged && !merges.some((m) => m.from === from)) merges.push({ work, from, to, alertState: outcome.alertState, history: outcome.history });
            } else if (outcome.status === 'conflict') {
              const settled = settleRaces && from.startsWith('a:') ? settleVisitorRace({ from, to, reason }, outcome.existing) : undefined;
              cache.setLink(from, { lead: outcome.existing, merged: false });
              if (settled) {
                // Another worker linked the visitor first; link the two leads as this worker would have, had it known.
                const key = `${settled.link.from}>${settled.link.to}`;
                if (!raced.has(key)) raced.set(key, [...(settled.emailClaim ? [{ kind: 'claim' as const, ...settled.emailClaim, work }] : []), ...linkSteps(settled.link, work)]);
              } else {
                conflicts.push({ event: work.event, conflict: { kind: 'anonymous_linked_elsewhere', profile: from, claimedBy: to, existing: outcome.existing, detail: `${from} is already linked to ${outcome.existing}; ${to} claims it too` } });
              }
            }
          }
        }
      };
      readIdentity(await round<Identity | PortraitStep>([...second, ...indexSteps()]), true);
      if (raced.size > 0) readIdentity(await round([...raced.values()].flat()), false);

      // 3. Histories of newly linked profiles, and their alert state, taken over by their leads.
      const carries = merges.filter((m) => m.alertState !== '{}').map((m) => ({ kind: 'carryAlerts' as const, lead: m.to, fields: m.alertState, work: m.work }));
      for (const r of await round(carries)) if (isFailure(r.outcome)) fail(r.step.work, r.outcome);
      const merging = merges.filter((m) => !failed.has(m.work.index));
      await applyAll(
        merging.flatMap((m) =>
          m.history.map((json) => {
            const contribution = JSON.parse(json) as Contribution;
            return { profile: m.to, json, contribution, owner: m.work };
          }),
        ),
        (item, profile, outcome) => {
          if ('state' in outcome && item.contribution.s && isLead(profile)) judgments.push({ lead: profile, contribution: item.contribution, state: outcome.state });
          noteSeen(profile, item.contribution);
        },
      );

      // 4. Merged: the histories are in their leads.
      const done = merging.filter((m) => !failed.has(m.work.index));
      for (const r of await round<PortraitStep | { kind: 'merge'; profile: string; merge: Merge }>([...done.map((merge) => ({ kind: 'merge' as const, profile: merge.from, merge })), ...indexSteps()])) {
        if (r.kind !== 'merge') continue;
        const { merge } = r.step as { merge: Merge };
        if (isFailure(r.outcome)) fail(merge.work, r.outcome);
        else cache.setLink(merge.from, { lead: merge.to, merged: true });
      }

      const ledger = works.flatMap((work) => {
        const landed = final.get(work.index);
        return landed && !landed.repeatedOrder && !failed.has(work.index) && work.contribution.l ? [{ event: work.event, profile: landed.profile, lines: work.contribution.l }] : [];
      });
      return { applied, duplicates, refused, failed: [...failed.values()], links: linkRecords, conflicts, judgments, companyJudgments, ledger, roundTrips };
    },
  };
}

export type PortraitWriter = ReturnType<typeof createPortraitWriter>;
