import { alertStateOf, companyAlertStateOf, encodeLastFired } from '@leadscore/portrait';
import { decideAlerts, decideCompanyAlerts, type AlertDecision, type AlertState, type Hold, type LastFired, type Rules } from '@leadscore/scoring';
import type { Firing } from '@leadscore/portrait';
import type { CompanyJudgment, Judgment, MergedProfile } from './portrait-rounds.ts';

/**
 * Alert decisions on a batch's judgments (pure): each judged on the state its script handed back, with what the batch
 * decided before it laid over (the scripts' states are from before the firings are marked), so the firings do not
 * depend on where the batch boundaries fall.
 */

export interface JudgingContext {
  readonly rules: Rules;
  readonly now: number;
  /**
   * Judge each event as of its own time instead of the batch's: a replay (backtest, rescore) decides what the live
   * path would have decided had each event arrived as it happened, whatever its batches.
   */
  readonly atEventTime?: boolean;
  readonly timeZone: string;
  readonly freshnessMs: number;
}

export interface Judged {
  readonly firings: Firing[];
  /** Crossings that still hold, per subject (raised after the firings are marked). */
  readonly holds: Map<string, Hold[]>;
  /** Firings a limit held back, by rule (a form sent again within its cooldown). */
  readonly refused?: ReadonlyMap<string, number>;
}

/** Firings and holds decided earlier in the batch, per subject. */
interface Decided {
  readonly lastFired: Record<string, LastFired>;
  readonly heldUntil: Record<string, number>;
}

function withDecided<S extends Pick<AlertState, 'lastFired' | 'heldUntil'>>(state: S, decided: Decided | undefined): S {
  if (!decided) return state;
  const heldUntil: Record<string, number | undefined> = { ...state.heldUntil };
  for (const [rule, until] of Object.entries(decided.heldUntil)) heldUntil[rule] = Math.max(until, heldUntil[rule] ?? Number.NEGATIVE_INFINITY);
  return { ...state, lastFired: { ...state.lastFired, ...decided.lastFired }, heldUntil };
}

function noteDecided(all: Map<string, Decided>, subject: string, decision: AlertDecision): void {
  if (decision.firings.length === 0 && decision.holds.length === 0) return;
  const decided = all.get(subject) ?? { lastFired: {}, heldUntil: {} };
  for (const f of decision.firings) if (f.lastFired) decided.lastFired[f.ruleId] = f.lastFired;
  for (const h of decision.holds) decided.heldUntil[h.ruleId] = Math.max(h.until, decided.heldUntil[h.ruleId] ?? Number.NEGATIVE_INFINITY);
  all.set(subject, decided);
}

/** Alert state fields as a link hands them over (alert_last:*, held:*). */
function decidedOf(fields: Readonly<Record<string, string>>): Decided {
  const state = alertStateOf(fields);
  return {
    lastFired: Object.fromEntries(Object.entries(state.lastFired).filter((e): e is [string, LastFired] => e[1] !== undefined)),
    heldUntil: Object.fromEntries(Object.entries(state.heldUntil).filter((e): e is [string, number] => e[1] !== undefined)),
  };
}

function combined(all: readonly Decided[]): Decided | undefined {
  if (all.length <= 1) return all[0];
  const lastFired: Record<string, LastFired> = {};
  const heldUntil: Record<string, number> = {};
  for (const d of all) {
    for (const [rule, f] of Object.entries(d.lastFired)) if (!lastFired[rule] || f.day > (lastFired[rule] as LastFired).day) lastFired[rule] = f;
    for (const [rule, until] of Object.entries(d.heldUntil)) heldUntil[rule] = Math.max(until, heldUntil[rule] ?? Number.NEGATIVE_INFINITY);
  }
  return { lastFired, heldUntil };
}

function add(holds: Map<string, Hold[]>, subject: string, more: readonly Hold[]): void {
  if (more.length > 0) holds.set(subject, [...(holds.get(subject) ?? []), ...more]);
}

/**
 * The leads' alerts. From the event that links a profile into a lead on, the lead's alerts see the profile's: what
 * the link handed over from Redis, and what this batch decided for it — as the link would have carried both
 * (carryAlertState) before the lead's later events were judged, had they come in separate batches.
 */
export function judgeLeads(judgments: readonly Judgment[], merged: readonly MergedProfile[], ctx: JudgingContext): Judged {
  const firings: Firing[] = [];
  const holds = new Map<string, Hold[]>();
  const decided = new Map<string, Decided>();
  const decidedFor = (lead: string, index: number): Decided | undefined => {
    const taken = merged.filter((m) => m.to === lead && m.index <= index).flatMap((m) => [decidedOf(m.alertState), decidedFor(m.from, index)]);
    return combined([decided.get(lead), ...taken].filter((d): d is Decided => d !== undefined));
  };
  const refused = new Map<string, number>();
  for (const { index, at, lead, contribution, state, judgedBefore } of judgments) {
    const decision = decideAlerts({ ...ctx, ...(ctx.atEventTime ? { now: at ?? contribution.t } : {}), contribution, state: withDecided(alertStateOf(state), decidedFor(lead, index)), ...(judgedBefore ? { judgedBefore } : {}) });
    noteDecided(decided, lead, decision);
    for (const candidate of decision.firings) firings.push({ lead, candidate, messageId: contribution.m, rulesVersion: ctx.rules.version });
    for (const r of decision.refused ?? []) refused.set(r.ruleId, (refused.get(r.ruleId) ?? 0) + 1);
    add(holds, lead, decision.holds);
  }
  return { firings, holds, refused };
}

/** The members whose roles the companies' buying groups read. */
export function membersToJudge(judgments: readonly CompanyJudgment[]): string[] {
  const members = new Set<string>();
  for (const j of judgments) for (const list of Object.values(companyAlertStateOf(j.groups).engagements)) for (const e of list) members.add(e.member);
  return [...members];
}

/** The companies' buying-group alerts, on their members' traits. */
export function judgeCompanies(judgments: readonly CompanyJudgment[], memberTraits: Readonly<Record<string, Readonly<Record<string, unknown>>>>, ctx: JudgingContext): Judged {
  const firings: Firing[] = [];
  const holds = new Map<string, Hold[]>();
  const decided = new Map<string, Decided>();
  for (const judgment of judgments) {
    const subject = `c:${judgment.company}`;
    const state = withDecided(companyAlertStateOf(judgment.groups), decided.get(subject));
    const decision = decideCompanyAlerts({ rules: ctx.rules, judge: { ruleIds: judgment.rules, flagged: judgment.flagged }, state, memberTraits, now: ctx.atEventTime ? judgment.at : ctx.now, timeZone: ctx.timeZone });
    noteDecided(decided, subject, decision);
    for (const candidate of decision.firings) firings.push({ lead: subject, company: judgment.company, candidate, messageId: judgment.messageId, rulesVersion: ctx.rules.version });
    add(holds, subject, decision.holds);
  }
  return { firings, holds };
}

/** What a batch decided for a subject, as alert state fields a lead takes over (carryAlertState-2.lua reads them). */
export function decidedFields(subject: string, firings: readonly Firing[], holds: ReadonlyMap<string, readonly Hold[]>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const { lead, candidate } of firings) {
    if (lead !== subject) continue;
    fields[`alert:${candidate.ruleId}:${candidate.window}`] = 'fired';
    if (candidate.lastFired) fields[`alert_last:${candidate.ruleId}`] = encodeLastFired(candidate.lastFired);
  }
  for (const h of holds.get(subject) ?? []) fields[`held:${h.ruleId}`] = String(Math.max(h.until, Number(fields[`held:${h.ruleId}`] ?? Number.NEGATIVE_INFINITY)));
  return fields;
}
