import { quoteIdentifier } from './quote.ts';

/**
 * The analytic SQL of the project, by name. Every statement here runs on ClickHouse 18.16 and on current releases
 * (a test runs each on both), so: subqueries rather than CTEs, JOIN … USING with every joined subquery aliased, no window functions.
 */

/** The profile an event was recorded under: u:<userId>, e:<email> for email identities, else a:<anonymousId>. */
export const profileOfEvent = `if(user_id != '', concat('u:', user_id), if(startsWith(anonymous_id, 'email:'), concat('e:', lower(substring(anonymous_id, 7))), concat('a:', anonymous_id)))`;

/**
 * Each user merged by hand with the lead it is now (one hop: the API keeps lead_merges closed under composition),
 * as of `at` (a DateTime expression) or now: the latest merge of each at or before it. `as` names the lead column,
 * for the USING of the join that reads it.
 */
export function mergedLeads(database: string, as: string, at?: string): string {
  const db = quoteIdentifier(database).text;
  return `SELECT lead AS ${as}, argMax(merged_into, merged_at) AS merged_into FROM ${db}.lead_merges FINAL${at ? ` WHERE merged_at <= ${at}` : ''} GROUP BY lead`;
}

/**
 * Each event with the lead it belongs to now, resolved at query time: through identity_links (at most two hops: a
 * visitor into a provisional email lead into a user), then through lead_merges (a user a person merged into
 * another, one hop however many merges were chained), so events from before an identify or a merge count for the lead.
 */
export function eventsWithLead(database: string): string {
  const db = quoteIdentifier(database).text;
  return `SELECT message_id, type, event, timestamp, revenue, currency, if(merged_into != '', merged_into, p2) AS lead
FROM (
  SELECT message_id, type, event, timestamp, revenue, currency, if(hop2 != '', hop2, p1) AS p2
  FROM (
    SELECT message_id, type, event, timestamp, revenue, currency, if(hop1 != '', hop1, profile) AS p1
    FROM (SELECT message_id, type, event, timestamp, revenue, currency, ${profileOfEvent} AS profile FROM ${db}.events FINAL) AS e
    ANY LEFT JOIN (SELECT profile, lead AS hop1 FROM ${db}.identity_links FINAL) AS l1 USING profile
  ) AS e1
  ANY LEFT JOIN (SELECT profile AS p1, lead AS hop2 FROM ${db}.identity_links FINAL) AS l2 USING p1
) AS e2
ANY LEFT JOIN (${mergedLeads(database, 'p2')}) AS m USING p2`;
}

export const analyticQueries: Record<string, (database: string) => string> = {
  events_with_lead: eventsWithLead,
  activity_by_lead: (database) =>
    `SELECT lead, count() AS events, countIf(type = 'page') AS page_views, uniqExact(toDate(timestamp)) AS active_days, min(timestamp) AS first_seen, max(timestamp) AS last_seen
FROM (${eventsWithLead(database)}) AS resolved
WHERE NOT startsWith(lead, 'a:')
GROUP BY lead
ORDER BY events DESC`,
  events_by_type_and_day: (database) =>
    `SELECT toDate(timestamp) AS day, type, event, count() AS events, uniqExact(message_id) AS messages
FROM ${quoteIdentifier(database).text}.events
GROUP BY day, type, event
ORDER BY day, type, event`,
};
