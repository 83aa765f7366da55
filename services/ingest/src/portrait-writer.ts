import type { Redis } from 'ioredis';
import type { TrackedEvent } from '@leadscore/events';
import type { Conflict } from '@leadscore/identity';
import { isFailure, runSteps, type PortraitLayout, type PortraitScripts, type PortraitStep, type StepFailure, type StepResult } from '@leadscore/portrait';
import type { Contribution, Rules } from '@leadscore/scoring';
import type { LinkCache } from './link-cache.ts';
import { planEvents, type PlanSettings, type Refusal } from './portrait-plan.ts';
import { applyEvents, identitySteps, indexSteps, lookUp, markMerged, readIdentity, takeOverHistories, type BatchWrite, type CompanyJudgment, type FailedEvent, type Judgment, type LinkRecord, type Merge, type MergedProfile } from './portrait-rounds.ts';

export type { CompanyJudgment, Judgment, LinkRecord, MergedProfile } from './portrait-rounds.ts';

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

/** What writing a batch to the portraits did. */
export interface PortraitOutcome {
  readonly applied: number;
  readonly duplicates: number;
  /** Events refused before anything was written (no identity, unusable contribution). */
  readonly refused: readonly Refusal[];
  /** Events a store step failed on, by batch index; an event here may have had earlier steps written. */
  readonly failed: readonly FailedEvent[];
  readonly links: readonly LinkRecord[];
  /** Profiles this batch merged into leads: a lead judged after the link sees the profile's alerts. */
  readonly merged: readonly MergedProfile[];
  readonly conflicts: readonly { readonly conflict: Conflict; readonly event: TrackedEvent }[];
  readonly judgments: readonly Judgment[];
  readonly companyJudgments: readonly CompanyJudgment[];
  /** Score ledger lines of the events applied (not of orders counted before), with the profile they went to. */
  readonly ledger: readonly { readonly event: TrackedEvent; readonly profile: string; readonly lines: NonNullable<Contribution['l']> }[];
  readonly roundTrips: number;
}

/** Raised for an outage: nothing of the batch may be committed; it is retried as a whole. */
export class StoreOutageError extends Error {
  override readonly name = 'StoreOutageError';
}

/**
 * Writes a batch of events to the portraits in Redis, in rounds of one pipelined round trip each
 * (portrait-rounds.ts):
 *   0. look up what identity decisions need and the cache cannot say (only for identifying events);
 *      then decide every event in order (portrait-plan.ts), refusing before any write what cannot be given to anyone;
 *   1. each event applied to its profile, following redirects of profiles linked meanwhile — an event's first
 *      write, so an event Redis refuses here leaves nothing behind;
 *   2. for the events applied: their company, their email claims and links, the last-seen index, and the buying
 *      groups of leads whose traits changed (races between workers settled in one more round);
 *   3. the histories of newly linked profiles replayed into their leads (and their alert state carried over),
 *      judged for alerts like any event;
 *   4. those links marked merged, so a history is counted once however often the link is said again.
 * A step Redis refuses fails its event alone; an outage throws.
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

    /**
     * Hands alert state over to the leads profiles were merged into (see carryAlertState-2.lua): what a batch fired
     * for a provisional lead it also merged, which the link could not carry because the firing came after it.
     */
    async carryAlerts(carries: readonly { readonly lead: string; readonly fields: Readonly<Record<string, string>> }[]): Promise<void> {
      const steps = carries.filter((c) => Object.keys(c.fields).length > 0).map((c) => ({ kind: 'carryAlerts' as const, lead: c.lead, fields: JSON.stringify(c.fields) }));
      for (const r of await runSteps(redis, scripts, layoutFor(settings.rules()), steps, clock())) if (isFailure(r.outcome)) throw new StoreOutageError(`Redis refused to carry alert state: ${r.outcome.error.message}`, { cause: r.outcome.error });
    },

    async write(events: readonly TrackedEvent[]): Promise<PortraitOutcome> {
      const rules = settings.rules();
      const layout = layoutFor(rules);
      const now = clock();
      const batch: BatchWrite = {
        cache,
        namespace: layout.namespace,
        round: async <S extends PortraitStep>(steps: readonly S[]): Promise<StepResult<S>[]> => {
          if (steps.length === 0) return [];
          batch.roundTrips++;
          const results = await runSteps(redis, scripts, layout, steps, now);
          const outage = results.find((r) => isFailure(r.outcome) && r.outcome.outage);
          if (outage) throw new StoreOutageError(`Redis refused a ${outage.kind} step: ${(outage.outcome as StepFailure).error.message}`, { cause: (outage.outcome as StepFailure).error });
          return results;
        },
        failed: new Map(),
        landed: new Map(),
        judgments: [],
        companyJudgments: [],
        conflicts: [],
        links: [],
        lastSeen: new Map(),
        indexed: new Map(),
        merged: [],
        applied: 0,
        duplicates: 0,
        roundTrips: 0,
      };

      await lookUp(batch, events);
      const planned = planEvents(events, cache, rules, settings);
      const works = planned.flatMap((p) => (p.ok ? [p.work] : []));
      for (const work of works) for (const conflict of work.decision?.conflicts ?? []) batch.conflicts.push({ conflict, event: work.event });

      await applyEvents(batch, works);
      const merges: Merge[] = [];
      const groupRules = rules.alerts.flatMap((a) => (a.kind === 'buying_group' ? [a.id] : []));
      const raced = readIdentity(batch, await batch.round<PortraitStep>([...identitySteps(works, batch, groupRules), ...indexSteps(batch)]), merges, true);
      if (raced.length > 0) readIdentity(batch, await batch.round(raced), merges, false);
      const joins = await takeOverHistories(batch, merges);
      await markMerged(batch, merges, joins);

      const ledger = works.flatMap((work) => {
        const landed = batch.landed.get(work.index);
        return landed && !landed.repeatedOrder && !batch.failed.has(work.index) && work.contribution.l ? [{ event: work.event, profile: landed.profile, lines: work.contribution.l }] : [];
      });
      return {
        applied: batch.applied,
        duplicates: batch.duplicates,
        refused: planned.flatMap((p) => (p.ok ? [] : [p])),
        failed: [...batch.failed.values()],
        links: batch.links,
        merged: batch.merged,
        conflicts: batch.conflicts,
        judgments: batch.judgments,
        companyJudgments: batch.companyJudgments,
        ledger,
        roundTrips: batch.roundTrips,
      };
    },
  };
}

export type PortraitWriter = ReturnType<typeof createPortraitWriter>;
