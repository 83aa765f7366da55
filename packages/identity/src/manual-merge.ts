import { createHash } from 'node:crypto';
import type { TrackedEvent } from '@leadscore/events';
import { profileKind } from './profile-id.ts';

/**
 * Two known users are never linked automatically (a claim on another user's email or visitor is a conflict for a
 * person). When a person decides they are one, the decision travels as an event: an `alias` of the user merged away
 * (previousId) into the user kept (userId), from the `admin` source kind, which no write key or import key can
 * have (the collector sets the kind by route). As an event it is ordered with the leads' other events, stored with
 * them in ClickHouse, and replayed by a rescore or backtest like any link: one scoring path, no side table for Redis.
 */
export const MANUAL_MERGE_SOURCE = { id: 'api', kind: 'admin' } as const;

/** Why and by whom, kept on the event's context and so in ClickHouse with it. */
export interface MergeNote {
  readonly by: string;
  readonly note?: string;
}

/** Why two leads cannot be merged by hand, in words for the person who asked. */
export function manualMergeIssue(lead: string, other: string): string | undefined {
  if (profileKind(lead) !== 'user' || profileKind(other) !== 'user') {
    return 'only user leads (u:<userId>) are merged by hand; a provisional email lead (e:) links into the user who claims its email, a visitor (a:) into the lead it identifies as';
  }
  if (lead === other) return `${lead} is one lead already`;
  return undefined;
}

/** Deterministic, so asking twice is one merge (the portraits' dedup drops the second). */
export const manualMergeMessageId = (lead: string, other: string) => `merge:${createHash('sha256').update(`${other}\n${lead}`).digest('hex').slice(0, 40)}`;

/** The event saying `other` (a user lead) is `lead` (a user lead), as of `at`. */
export function manualMergeEvent(input: { readonly lead: string; readonly other: string; readonly at: Date; readonly note: MergeNote }): TrackedEvent {
  const issue = manualMergeIssue(input.lead, input.other);
  if (issue) throw new RangeError(issue);
  const at = input.at.toISOString();
  return {
    type: 'alias',
    messageId: manualMergeMessageId(input.lead, input.other),
    userId: input.lead.slice(2),
    previousId: input.other.slice(2),
    timestamp: at,
    receivedAt: at,
    source: { ...MANUAL_MERGE_SOURCE },
    flags: [],
    context: { merge: { by: input.note.by, ...(input.note.note ? { note: input.note.note } : {}) } },
  } as TrackedEvent;
}

/** The user a manual merge event merges away, or undefined for any other event (an alias from a site is a visitor's). */
export function mergedUserOf(event: TrackedEvent): string | undefined {
  if (event.type !== 'alias' || event.source.kind !== MANUAL_MERGE_SOURCE.kind) return undefined;
  return event.previousId && event.previousId !== event.userId ? event.previousId : undefined;
}
