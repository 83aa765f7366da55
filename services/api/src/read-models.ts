import { quoteIdentifier, literal, type SqlExecutor } from '@leadscore/clickhouse/sql';
import { BOUNDS, companyKeys, isLeadProfile, profileKeys, readCompany, readLedger, readPortrait, readProfile, resolveProfile } from '@leadscore/portrait';
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

/** Events of a timeline: the newest, each message once (a repeated insert shows once). */
const TIMELINE_EVENTS = 50;

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
  // Its history is every profile linked into it, and into those that are leads themselves (a provisional email
  // lead's visitors, a merged user's visitors and emails).
  const further = await Promise.all(profile.linkedFrom.filter(isLeadProfile).map((p) => deps.redis.smembers(profileKeys(deps.namespace, p).from)));
  const profiles = [...new Set([lead, ...profile.linkedFrom, ...further.flat()])];
  const db = quoteIdentifier(deps.database).text;
  const timeline = await deps.exec.rows<TimelineRow>(
    `SELECT any(timestamp) AS timestamp, any(type) AS type, any(event) AS event, any(path) AS path, any(order_id) AS order_id, any(revenue) AS revenue, any(currency) AS currency
FROM ${db}.events_by_profile WHERE profile IN (${profiles.map(literal).join(', ')})
GROUP BY message_id ORDER BY timestamp DESC, message_id LIMIT ${TIMELINE_EVENTS}`,
  );
  return leadAnswerOf({ portrait, traits: profile.traits, ledger, timeline, now });
}

/** A company for the API, or undefined when there is none. */
export async function readCompanyAnswer(deps: ReadDeps, id: string): Promise<CompanyAnswer | undefined> {
  const now = (deps.now ?? Date.now)();
  if ((await deps.redis.exists(companyKeys(deps.namespace, id).state)) === 0) return undefined;
  const company = await readCompany(deps.redis, deps.namespace, id);
  const [members, ledgers] = await Promise.all([
    Promise.all(company.members.map((m) => readPortrait(deps.redis, deps.namespace, m, deps.rules(), now))),
    Promise.all(company.members.map((m) => readLedger(deps.redis, deps.namespace, m, BOUNDS.ledgerCap))),
  ]);
  return companyAnswerOf({ company, heat: totalHeat(company.heat, now), members, memberLedgers: ledgers.flat(), windowMs: buyingGroupWindowMs(deps.rules()), now });
}
