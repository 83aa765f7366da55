import { randomUUID } from 'node:crypto';
import { literal, mergedLeads, quoteIdentifier, type SqlExecutor } from '@leadscore/clickhouse/sql';
import { encodeEvent, type EventRecord } from '@leadscore/events';
import { manualMergeEvent, manualMergeIssue } from '@leadscore/identity';
import { profileKeys } from '@leadscore/portrait';
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const mergeBody = z.object({
  other: z.string().min(3).max(258).describe('the user lead (u:<userId>) that is the same person: merged into the lead of the path'),
  note: z.string().max(500).optional().describe('why, in words: kept with the merge'),
});

export const mergeAnswer = z.object({
  lead: z.string(),
  merged: z.string().describe('the lead merged into `lead`: its events, history and identities are the lead\'s from now on'),
  messageId: z.string().describe('the merge event, in the events topic and ClickHouse (an alias from the admin source)'),
  mergedAt: z.string(),
  mergedBy: z.string(),
  repointed: z.array(z.string()).describe('leads merged into `merged` earlier, now merged into `lead`'),
  already: z.boolean().describe('the same merge was recorded before (asking again is harmless)'),
  rescore: z.string().describe('the command that rebuilds the merged portrait exactly from every stored event'),
});
export type MergeAnswer = z.infer<typeof mergeAnswer>;

/** A merge the API will not record, with the status and the words the person needs. */
export class MergeRefused extends Error {
  override readonly name = 'MergeRefused';
  constructor(
    readonly status: 404 | 409 | 422 | 503,
    readonly code: 'not_found' | 'already_merged_elsewhere' | 'merged_lead' | 'not_mergeable' | 'busy',
    message: string,
  ) {
    super(message);
  }
}

/** How long one merge may hold the lock that keeps lead_merges closed under composition (see 0008_lead_merges.sql). */
const LOCK_MS = 30_000;

/**
 * Merge by hand: a person says two user leads are one (typically after reading GET /identity/conflicts). Recorded
 * twice, each in the form its readers need:
 *   - the merge event (manualMergeEvent) to the events topic: the ingest workers link the other user into the lead
 *     like any profile, its history taken over and its later events redirected; ClickHouse keeps it with the other
 *     events, so a rescore or backtest replays it in order;
 *   - rows of lead_merges: analytic queries resolve a merged user's events to the lead (one hop: the rows stay
 *     closed under composition, which one lock across API instances guards).
 * Both are idempotent (a deterministic message id; rows keyed by the pair), so a request answered 503 is asked again.
 */
export function createManualMerges(deps: {
  readonly redis: Redis;
  readonly exec: SqlExecutor;
  readonly database: string;
  readonly namespace: string;
  /** Writes records to the events topic, acknowledged. */
  readonly sendEvents: (records: readonly EventRecord[]) => Promise<void>;
  readonly now?: () => number;
}) {
  const db = quoteIdentifier(deps.database).text;
  const lockKey = `${deps.namespace}:lock:lead-merge`;

  async function mergedInto(leads: readonly string[]): Promise<Map<string, string>> {
    const rows = await deps.exec.rows<{ lead: string; merged_into: string }>(`SELECT lead, merged_into FROM (${mergedLeads(deps.database, 'lead')}) AS m WHERE lead IN (${leads.map(literal).join(', ')})`);
    return new Map(rows.map((r) => [r.lead, r.merged_into]));
  }

  return {
    async merge(lead: string, other: string, by: string, note?: string): Promise<MergeAnswer> {
      const issue = manualMergeIssue(lead, other);
      if (issue) throw new MergeRefused(422, 'not_mergeable', issue);
      const [leadState, otherState] = await Promise.all([deps.redis.hgetall(profileKeys(deps.namespace, lead).state), deps.redis.hgetall(profileKeys(deps.namespace, other).state)]);
      for (const [id, state] of [[lead, leadState], [other, otherState]] as const) if (Object.keys(state).length === 0) throw new MergeRefused(404, 'not_found', `no lead ${id}`);
      if (leadState.linked_to) throw new MergeRefused(409, 'merged_lead', `${lead} is merged into ${leadState.linked_to}: merge into ${leadState.linked_to}`);

      const token = randomUUID();
      if ((await deps.redis.set(lockKey, token, 'PX', LOCK_MS, 'NX')) !== 'OK') throw new MergeRefused(503, 'busy', 'another merge is being recorded; ask again in a second');
      try {
        const merges = await mergedInto([lead, other]);
        const leadInto = merges.get(lead);
        if (leadInto) throw new MergeRefused(409, 'merged_lead', `${lead} is merged into ${leadInto}: merge into ${leadInto}`);
        const otherInto = merges.get(other) ?? otherState.linked_to;
        if (otherInto && otherInto !== lead) throw new MergeRefused(409, 'already_merged_elsewhere', `${other} is merged into ${otherInto} already`);
        // Recorded in ClickHouse already (a request asked again), or only applied by the workers (a request whose rows
        // failed after its event was sent): the rows are written until ClickHouse has them.
        const recorded = merges.get(other) === lead;
        const already = otherInto === lead;
        const at = new Date((deps.now ?? Date.now)());
        const event = manualMergeEvent({ lead, other, at, note: { by, ...(note ? { note } : {}) } });
        // The event first: it is what the portraits and every replay follow; the rows only let queries see it.
        await deps.sendEvents([encodeEvent(event)]);
        const repointed = (await deps.exec.rows<{ lead: string }>(`SELECT lead FROM (${mergedLeads(deps.database, 'lead')}) AS m WHERE merged_into = ${literal(other)} ORDER BY lead`)).map((r) => r.lead);
        const mergedAt = literal(at);
        const row = (from: string) => `(${[literal(from), literal(lead), mergedAt, literal(event.messageId), literal(by), literal(note ?? '')].join(', ')})`;
        if (!recorded) {
          await deps.exec.command(`INSERT INTO ${db}.lead_merges (lead, merged_into, merged_at, message_id, merged_by, note) VALUES ${[other, ...repointed].map(row).join(', ')}`);
        }
        return { lead, merged: other, messageId: event.messageId, mergedAt: at.toISOString(), mergedBy: by, repointed, already, rescore: `pnpm rescore --lead ${lead}` };
      } finally {
        if ((await deps.redis.get(lockKey)) === token) await deps.redis.del(lockKey);
      }
    },
  };
}
export type ManualMerges = ReturnType<typeof createManualMerges>;
