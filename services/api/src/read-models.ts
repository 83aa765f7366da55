import { literal, profileOfEvent, quoteIdentifier, type SqlExecutor } from '@leadscore/clickhouse/sql';
import { BOUNDS, readCompany, readLedger, readPortrait, readProfile, resolveProfile, profileKeys, companyKeys } from '@leadscore/portrait';
import { buyingGroupWindowMs, totalHeat, type Rules } from '@leadscore/scoring';
import type { Redis } from 'ioredis';
import { companyAnswerOf, leadAnswerOf, type TimelineRow } from './answers.ts';
import type { CompanyAnswer, LeadAnswer } from './schemas.ts';

export interface ReadDeps {
  readonly redis: Redis;
  readonly exec: SqlExecutor;
  readonly database: string;
  readonly namespace: string;
  readonly rules: () => Rules;
  readonly now?: () => number;
}

/** Events of a timeline: the newest, each message once (a repeated insert shows once), of the last TIMELINE_DAYS. */
const TIMELINE_EVENTS = 50;
/**
 * How far back a timeline looks: events are partitioned by month, so the window prunes all older partitions. (A table
 * ordered by profile would make this a primary-key read; fed by a materialized view it cost the ingest workers about a
 * quarter of their throughput on this machine, so it waits for the ingest work of a later issue.)
 */
const TIMELINE_DAYS = 90;

/**
 * A lead's portrait for the API, or undefined when there is none. A profile merged into another lead answers as the
 * lead it belongs to now.
 */
export async function readLeadAnswer(deps: ReadDeps, id: string): Promise<LeadAnswer | undefined> {
  const now = (deps.now ?? Date.now)();
  const lead = await resolveProfile(deps.redis, deps.namespace, id);
  if ((await deps.redis.exists(profileKeys(deps.namespace, lead).state)) === 0) return undefined;
  const [portrait, profile, ledger] = await Promise.all([
    readPortrait(deps.redis, deps.namespace, lead, deps.rules(), now),
    readProfile(deps.redis, deps.namespace, lead),
    readLedger(deps.redis, deps.namespace, lead, BOUNDS.ledgerCap),
  ]);
  const profiles = [lead, ...profile.linkedFrom];
  const db = quoteIdentifier(deps.database).text;
  // Aliases apart from the columns: ClickHouse would read `timestamp` in WHERE as the aggregate otherwise.
  const timeline = (
    await deps.exec.rows<{ at: string; t: string; e: string; p: string; o: string; r: number; c: string }>(
      `SELECT any(timestamp) AS at, any(type) AS t, any(event) AS e, any(path) AS p, any(order_id) AS o, any(revenue) AS r, any(currency) AS c
FROM ${db}.events WHERE timestamp >= ${literal(new Date(now - TIMELINE_DAYS * 86_400_000))} AND ${profileOfEvent} IN (${profiles.map(literal).join(', ')})
GROUP BY message_id ORDER BY at DESC, message_id LIMIT ${TIMELINE_EVENTS}`,
    )
  ).map((r): TimelineRow => ({ timestamp: r.at, type: r.t, event: r.e, path: r.p, order_id: r.o, revenue: r.r, currency: r.c }));
  return leadAnswerOf({ portrait, traits: profile.traits, ledger, timeline, now });
}

/** A company for the API, or undefined when there is none. */
export async function readCompanyAnswer(deps: ReadDeps, id: string): Promise<CompanyAnswer | undefined> {
  const now = (deps.now ?? Date.now)();
  if ((await deps.redis.exists(companyKeys(deps.namespace, id).state)) === 0) return undefined;
  const company = await readCompany(deps.redis, deps.namespace, id);
  const members = await Promise.all(company.members.map((m) => readPortrait(deps.redis, deps.namespace, m, deps.rules(), now)));
  return companyAnswerOf({ company, heat: totalHeat(company.heat, now), members, windowMs: buyingGroupWindowMs(deps.rules()), now });
}
