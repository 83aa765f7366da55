import { BOUNDS } from './bounds.ts';
import type { ChainableCommander, Redis } from 'ioredis';
import { companyKeys, emailOwnerKey, emailProvisionalKey, profileKeys } from './keys.ts';
import type { PortraitScripts } from './scripts.ts';

/**
 * The portrait's writes and reads as typed steps: a caller plans steps (pure), `runSteps` sends them in one
 * pipelined round trip (the only I/O here), and each reply comes back read and paired with its own step, so nothing
 * downstream pairs replies with steps by position.
 */

/** The bounds and settings every step is sent with (see README, "What the ingest workers keep"). */
/**
 * The layout of a deployment's portraits: its namespace and ingest settings, with the bounds every structure keeps
 * (BOUNDS). One definition for every service that writes portraits.
 */
const joined = new WeakMap<readonly string[], string>();
/** The alert fields as applyEvent takes them, tab-separated, joined once per list (a layout's list is reused). */
function joinedFields(fields: readonly string[]): string {
  let text = joined.get(fields);
  if (text === undefined) {
    text = fields.join('\t');
    joined.set(fields, text);
  }
  return text;
}

export function portraitLayout(settings: { readonly namespace: string; readonly dedupWindowMs: number; readonly logCap: number; readonly visitorTtlMs: number }): Omit<PortraitLayout, 'alertFields'> {
  return {
    ...settings,
    ledgerCap: BOUNDS.ledgerCap,
    traitCap: BOUNDS.traitCap,
    orderCap: BOUNDS.orderCap,
    memberCap: BOUNDS.memberCap,
    linkedFromCap: BOUNDS.linkedFromCap,
    companiesCap: BOUNDS.companiesCap,
  };
}

export interface PortraitLayout {
  readonly namespace: string;
  /** How long a message id is remembered per profile (processing time). */
  readonly dedupWindowMs: number;
  /** Contributions a linkable profile (visitor, provisional email lead) keeps to replay into the lead it joins. */
  readonly logCap: number;
  /** Score ledger lines kept with a profile (ClickHouse keeps all). */
  readonly ledgerCap: number;
  /** Trait names kept per profile or company. */
  readonly traitCap: number;
  /** Order ids kept per profile or company for counting each order once (the newest by event time). */
  readonly orderCap: number;
  /** Members kept per company (the latest active). */
  readonly memberCap: number;
  /** Profiles remembered as linked into one lead. */
  readonly linkedFromCap: number;
  /** Companies remembered per lead. */
  readonly companiesCap: number;
  /** Expiry of a visitor's keys, and of a merged profile's link, renewed by its events. */
  readonly visitorTtlMs: number;
  /** The state fields an apply hands back for alert decisions (alertStateFields of the rules in force). */
  readonly alertFields: readonly string[];
  /**
   * Scripts applying an event take its own time as now instead of the batch's (a replay: windows are pruned and
   * engagements judged as when the event happened, whatever the batch).
   */
  readonly clockAtEvent?: boolean;
}

export type PortraitStep =
  | { readonly kind: 'lookupEmail'; readonly email: string }
  | { readonly kind: 'lookupLink'; readonly profile: string }
  | { readonly kind: 'apply'; readonly profile: string; readonly contribution: string; readonly at?: number }
  | { readonly kind: 'company'; readonly company: string; readonly member: string; readonly contribution: string; readonly at?: number }
  | { readonly kind: 'readGroups'; readonly company: string; readonly rules: readonly string[] }
  | { readonly kind: 'joinCompany'; readonly company: string; readonly member: string; readonly replaces: string; readonly at: number; readonly engagements: readonly { readonly a: string; readonly w: number; readonly t: number }[] }
  | { readonly kind: 'claim'; readonly email: string; readonly owner: string; readonly trusted?: boolean }
  | { readonly kind: 'link'; readonly from: string; readonly to: string; readonly reason: string; readonly messageId: string; readonly at: number; readonly derived?: boolean }
  | { readonly kind: 'linkedFrom'; readonly lead: string; readonly from: string }
  | { readonly kind: 'carryAlerts'; readonly lead: string; readonly fields: string }
  | { readonly kind: 'merge'; readonly profile: string }
  | { readonly kind: 'lastSeen'; readonly key: string; readonly entries: readonly (readonly [number, string])[] }
  | { readonly kind: 'raiseHeld'; readonly subject: string; readonly holds: readonly { readonly ruleId: string; readonly until: number }[] }
  | { readonly kind: 'markAlert'; readonly subject: string; readonly ruleId: string; readonly window: string; readonly job: string; readonly lastFired: string; readonly retentionMs: number; readonly cap: number };

export type StepKind = PortraitStep['kind'];

/** A state hash as field → value, for the fields a script handed back. */
export type StateFields = Record<string, string>;

export interface Outcomes {
  lookupEmail: { readonly status: 'found'; readonly owner?: string };
  lookupLink: { readonly status: 'found'; readonly lead?: string; readonly at?: number; readonly derived: boolean; readonly merged: boolean };
  apply:
    | { readonly status: 'applied' | 'duplicate'; readonly state: StateFields }
    | { readonly status: 'duplicate_order' }
    | { readonly status: 'redirect'; readonly to: string };
  company: { readonly status: 'applied' | 'duplicate'; readonly groups: StateFields };
  readGroups: { readonly status: 'read'; readonly groups: StateFields };
  joinCompany: { readonly status: 'joined'; readonly groups: StateFields };
  claim: { readonly status: 'claimed' } | { readonly status: 'conflict' | 'taken'; readonly owner: string };
  link:
    | { readonly status: 'linked'; readonly reason: string; readonly messageId: string; readonly at: number; readonly derived: boolean; readonly merged: boolean; readonly alertState: string; readonly history: readonly string[] }
    | { readonly status: 'conflict'; readonly existing: string };
  linkedFrom: { readonly status: 'added' | 'present' | 'full' };
  carryAlerts: { readonly status: 'carried' };
  merge: { readonly status: 'merged' | 'not_linked' };
  lastSeen: { readonly status: 'indexed' };
  raiseHeld: { readonly status: 'raised' };
  markAlert: { readonly status: 'new' } | { readonly status: 'exists'; readonly marker: string };
}

/**
 * A step Redis refused. `outage` for what says nothing about the step's input (connection, timeout, out of memory,
 * read-only replica, script cache): the whole batch waits and is retried. Otherwise it belongs to the step's input
 * (`BADINPUT` from a script's own checks, or a script that failed on it): one event's problem, never the batch's.
 */
export interface StepFailure {
  readonly status: 'failed';
  readonly error: Error;
  readonly outage: boolean;
  /** The script refused the input before writing anything: deterministic, no point in trying again. */
  readonly refused: boolean;
}

/** Each step with its own outcome: narrow on `kind`. */
export type StepResult<S extends PortraitStep = PortraitStep> = {
  [K in StepKind]: { readonly kind: K; readonly step: Extract<S, { kind: K }>; readonly outcome: Outcomes[K] | StepFailure };
}[StepKind];

// A script that does not compile fails every event alike: that is this code's fault, so the batch waits for a fix
// rather than every event going to the dead-letter topic.
const OUTAGE = /^(OOM|BUSY|LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOSCRIPT|MOVED|ASK|NOREPLICAS|EXECABORT|MISCONF)\b|OOM command not allowed|Error compiling script|Command timed out|Connection is closed|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE/;

export function stepFailure(error: unknown): StepFailure {
  const err = error instanceof Error ? error : new Error(String(error));
  const outage = OUTAGE.test(err.message) || !/BADINPUT|user_script|Error running script|WRONGTYPE/.test(err.message);
  return { status: 'failed', error: err, outage, refused: !outage && err.message.startsWith('BADINPUT') };
}

export const isFailure = (outcome: { readonly status: string }): outcome is StepFailure => outcome.status === 'failed';

/** A flat [field, value, …] reply as an object. */
export function hashFromReply(reply: readonly unknown[]): StateFields {
  const out: StateFields = {};
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

class ReplyShapeError extends Error {
  override readonly name = 'ReplyShapeError';
}

/** What a reply says, read for its step (pure). A reply of an unexpected shape is a bug, not a data problem. */
export function readReply<K extends StepKind>(kind: K, raw: unknown): Outcomes[K] {
  const list = Array.isArray(raw) ? (raw as unknown[]) : [];
  const status = String(list[0] ?? '');
  const read = (): Outcomes[StepKind] => {
    switch (kind) {
      case 'lookupEmail':
        return { status: 'found', ...(typeof raw === 'string' ? { owner: raw } : {}) };
      case 'lookupLink': {
        const [lead, at, merged, derived] = list as (string | null)[];
        return { status: 'found', ...(lead ? { lead } : {}), ...(at ? { at: Number(at) } : {}), derived: derived === '1', merged: merged === '1' };
      }
      case 'apply':
        if (status === 'redirect') return { status, to: String(list[1]) };
        if (status === 'duplicate_order') return { status };
        if (status === 'applied' || status === 'duplicate') return { status, state: hashFromReply(list.slice(1)) };
        break;
      case 'company':
        if (status === 'applied' || status === 'duplicate') return { status, groups: hashFromReply(list.slice(1)) };
        break;
      case 'readGroups':
        if (status === 'read') return { status, groups: hashFromReply(list.slice(1)) };
        break;
      case 'joinCompany':
        if (status === 'joined') return { status, groups: hashFromReply(list.slice(1)) };
        break;
      case 'claim':
        if (status === 'claimed') return { status };
        if (status === 'conflict' || status === 'taken') return { status, owner: String(list[1]) };
        break;
      case 'link':
        if (status === 'conflict') return { status, existing: String(list[1]) };
        if (status === 'linked') {
          const [, reason, messageId, at, merged, alertState, derived, ...history] = list.map(String);
          return { status, reason: reason as string, messageId: messageId as string, at: Number(at), derived: derived === '1', merged: merged === '1', alertState: alertState as string, history };
        }
        break;
      case 'linkedFrom':
        return { status: raw === 1 ? 'added' : raw === 0 ? 'present' : 'full' };
      case 'carryAlerts':
        return { status: 'carried' };
      case 'merge':
        if (status === 'merged' || status === 'not_linked') return { status };
        break;
      case 'lastSeen':
        return { status: 'indexed' };
      case 'raiseHeld':
        return { status: 'raised' };
      case 'markAlert':
        if (status === 'new') return { status };
        if (status === 'exists') return { status, marker: String(list[1]) };
        break;
    }
    throw new ReplyShapeError(`unexpected reply to a ${kind} step: ${JSON.stringify(raw).slice(0, 200)}`);
  };
  return read() as Outcomes[K];
}

/** The keys alerts are kept under for a subject: a lead's, or a company's (`c:<company>`). */
export function subjectKeys(namespace: string, subject: string): { readonly state: string; readonly alerts: string } {
  return subject.startsWith('c:') ? companyKeys(namespace, subject.slice(2)) : profileKeys(namespace, subject);
}

/** Queues a step's command(s) on a pipeline: exactly one command per step, so replies pair with steps one to one. */
function queueStep(pipeline: ChainableCommander, scripts: PortraitScripts, layout: PortraitLayout, step: PortraitStep, batchNow: number): void {
  const ns = layout.namespace;
  const now = layout.clockAtEvent && 'at' in step && step.at !== undefined ? step.at : batchNow;
  switch (step.kind) {
    case 'lookupEmail':
      pipeline.get(emailOwnerKey(ns, step.email));
      return;
    case 'lookupLink':
      pipeline.hmget(profileKeys(ns, step.profile).state, 'linked_to', 'link_at', 'merged', 'link_derived');
      return;
    case 'apply': {
      const k = profileKeys(ns, step.profile);
      const linkable = !step.profile.startsWith('u:');
      const ttl = step.profile.startsWith('a:') ? layout.visitorTtlMs : 0;
      scripts.applyEvent.queue(pipeline, [k.state, k.traits, k.seen, k.orders, k.log, k.ledger, k.companies], [now, layout.dedupWindowMs, linkable ? layout.logCap : 0, step.contribution, layout.ledgerCap, ttl, layout.traitCap, layout.orderCap, layout.companiesCap, joinedFields(layout.alertFields)]);
      return;
    }
    case 'company': {
      const k = companyKeys(ns, step.company);
      scripts.applyCompany.queue(pipeline, [k.state, k.traits, k.seen, k.members, k.orders, k.bg], [now, layout.dedupWindowMs, step.contribution, step.member, layout.traitCap, layout.orderCap, layout.memberCap]);
      return;
    }
    case 'readGroups': {
      const k = companyKeys(ns, step.company);
      scripts.readBuyingGroups.queue(pipeline, [k.state, k.bg], [JSON.stringify(step.rules.map((a) => ({ a })))]);
      return;
    }
    case 'joinCompany': {
      const k = companyKeys(ns, step.company);
      scripts.joinCompany.queue(pipeline, [k.members, k.bg, k.state], [now, step.member, step.replaces, step.at, layout.memberCap, JSON.stringify(step.engagements)]);
      return;
    }
    case 'claim':
      scripts.claimEmail.queue(pipeline, [emailOwnerKey(ns, step.email), emailProvisionalKey(ns, step.email)], [step.owner, step.trusted === false ? '0' : '1']);
      return;
    case 'link': {
      const k = profileKeys(ns, step.from);
      scripts.linkProfile.queue(pipeline, [k.state, k.log, k.alerts], [step.to, step.reason, step.messageId, step.at, step.derived ? '1' : '0']);
      return;
    }
    case 'linkedFrom':
      scripts.boundedAdd.queue(pipeline, [profileKeys(ns, step.lead).from], [step.from, layout.linkedFromCap]);
      return;
    case 'carryAlerts':
      scripts.carryAlertState.queue(pipeline, [profileKeys(ns, step.lead).state, profileKeys(ns, step.lead).alerts], [step.fields, now]);
      return;
    case 'merge': {
      const k = profileKeys(ns, step.profile);
      // A user merged by hand keeps its redirect for good, like any lead: its user id may come back any day.
      scripts.mergeProfile.queue(pipeline, [k.state, k.log, k.traits, k.seen, k.orders, k.ledger, k.companies], [step.profile.startsWith('u:') ? 0 : layout.visitorTtlMs]);
      return;
    }
    case 'lastSeen':
      pipeline.zadd(step.key, 'GT', ...step.entries.flat());
      return;
    case 'raiseHeld':
      scripts.raiseHeld.queue(pipeline, [subjectKeys(ns, step.subject).state], step.holds.flatMap((h) => [h.ruleId, h.until]));
      return;
    case 'markAlert': {
      const k = subjectKeys(ns, step.subject);
      scripts.markAlert.queue(pipeline, [k.alerts, k.state], [step.ruleId, step.window, step.job, step.lastFired, now, step.retentionMs, step.cap]);
      return;
    }
  }
}

/**
 * Sends the steps in one pipelined round trip, in order, and pairs each with its outcome. A step Redis refused
 * comes back as a StepFailure beside the others; only a pipeline that fails as a whole (the connection) throws.
 */
export async function runSteps<S extends PortraitStep>(redis: Redis, scripts: PortraitScripts, layout: PortraitLayout, steps: readonly S[], now: number): Promise<StepResult<S>[]> {
  if (steps.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const step of steps) queueStep(pipeline, scripts, layout, step, now);
  const replies = (await pipeline.exec()) ?? [];
  if (replies.length !== steps.length) throw new Error(`Redis answered ${replies.length} replies to ${steps.length} steps`);
  return steps.map((step, i) => {
    const [err, raw] = replies[i] as [Error | null, unknown];
    const outcome = err ? stepFailure(err) : readReply(step.kind, raw);
    return { kind: step.kind, step, outcome } as StepResult<S>;
  });
}
