import type { AlertCandidate } from './alerts.ts';
import type { Rules } from './rules.ts';

/** A subject whose lifecycle stage an analysts' snapshot changed (its verdict as written to its portrait). */
export interface StageChange {
  /** A lead, or `c:<company>`. */
  readonly subject: string;
  readonly stage: string;
  readonly previousStage?: string;
  readonly abcClass?: string;
  readonly segment?: string;
  /** The snapshot's reference time (ms). */
  readonly asOf: number;
  /** The first snapshot that showed this stage (ms): the change is this snapshot's when it equals asOf. */
  readonly stageChangedAt: number;
}

const listed = (value: string | readonly string[] | undefined, item: string | undefined) =>
  value === undefined || (item !== undefined && (typeof value === 'string' ? value === item : value.includes(item)));

/**
 * The stage rules a snapshot's change fires: the change must be this snapshot's (not one carried from before), from a
 * known earlier stage, and match the rule's subject, `to`, `from` and `abcClass`. The window is the snapshot, so a
 * rerun or a second write-back of it fires nothing new.
 */
export function decideStageAlerts(rules: Rules, change: StageChange): AlertCandidate[] {
  if (change.stageChangedAt !== change.asOf || change.previousStage === undefined) return [];
  const subject = change.subject.startsWith('c:') ? 'company' : 'lead';
  return rules.alerts.flatMap((rule): AlertCandidate[] => {
    if (rule.kind !== 'stage' || rule.subject !== subject) return [];
    if (!listed(rule.to, change.stage) || !listed(rule.from, change.previousStage) || !listed(rule.abcClass, change.abcClass)) return [];
    return [
      {
        ruleId: rule.id,
        kind: 'stage',
        window: String(change.asOf),
        action: rule.action,
        evidence: {
          from: change.previousStage,
          to: change.stage,
          ...(change.abcClass !== undefined ? { abcClass: change.abcClass } : {}),
          ...(change.segment !== undefined ? { segment: change.segment } : {}),
          snapshot: new Date(change.asOf).toISOString(),
        },
      },
    ];
  });
}
