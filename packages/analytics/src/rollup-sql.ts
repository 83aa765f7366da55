import { literal, mergedLeads, profileOfEvent, quoteIdentifier, sql, type SqlFragment } from '@leadscore/clickhouse/sql';
import { DEFAULT_CURRENCY, ORDER_EVENTS } from '@leadscore/scoring';
import { segmentLookup } from './segments.ts';
import type { RollupSettings } from './settings.ts';

/**
 * The rollups' definitions, as SQL. Every statement runs on ClickHouse 18.16 and on current releases: no CTEs (nested
 * subqueries), no window functions (ranks and running totals come from sorted arrays), one JOIN per SELECT, every
 * joined subquery aliased. Row-order independence is part of the definitions: ties are broken by value, never by the
 * order in which rows arrive, so a rerun gives the same rows.
 */

/** A snapshot: the database, the reference time (whole seconds, UTC) and what it is computed with. */
export interface SnapshotTarget {
  readonly database: string;
  readonly asOf: Date;
  readonly settings: RollupSettings;
}

/** Reference times are DateTime values: whole seconds. */
export function snapshotTime(at: Date): Date {
  if (Number.isNaN(at.getTime())) throw new RangeError('the reference time is not a valid date');
  return new Date(Math.floor(at.getTime() / 1000) * 1000);
}

/** The partition a snapshot occupies in every snapshot table (`PARTITION BY as_of`): its unix seconds. */
export function partitionId(asOf: Date): string {
  return String(Math.floor(asOf.getTime() / 1000));
}

interface Parts {
  readonly db: SqlFragment;
  /** The reference time as a DateTime literal. */
  readonly at: string;
  /** The reference day, a calendar day in the configured zone. */
  readonly day: string;
  readonly tz: string;
}

function parts(t: SnapshotTarget): Parts {
  const tz = literal(t.settings.timeZone);
  const at = literal(snapshotTime(t.asOf));
  return { db: quoteIdentifier(t.database), at, day: `toDate(${at}, ${tz})`, tz };
}

/** Money is kept to 4 decimals, so sums taken in any order read the same (and -0 becomes 0). */
const money = (expr: string) => `(round(${expr}, 4) + 0)`;

/** The currency an order row is in: the one `orderOf` gives (rows written before it knew a default have ''). */
const currencyOfRow = `if(currency = '', ${literal(DEFAULT_CURRENCY)}, currency)`;

/** Units of the reporting currency per unit of `expr`'s currency; 0 when the currency has no rate. */
function rateOf(settings: RollupSettings, expr: string): string {
  const others = Object.entries(settings.rates).filter(([c]) => c !== settings.reportingCurrency);
  const lookup = others.length === 0 ? '0' : `transform(${expr}, ${literal(others.map(([c]) => c))}, ${literal(others.map(([, r]) => r))}, 0)`;
  return `toFloat64(if(${expr} = ${literal(settings.reportingCurrency)}, 1, ${lookup}))`;
}

/**
 * Orders events by time, then (for events of one second) by a hash of the message id: one UInt64, far cheaper to
 * aggregate on than a (time, message id) tuple, and the same for every copy of a message.
 */
const eventOrder = `(toUInt64(timestamp) * 4294967296 + cityHash64(message_id) % 4294967296)`;

/** A counted event: flagged traffic (bots, scanners, internal) is never activity nor an order, as in the portrait. */
const unflagged = 'empty(flags)';

/**
 * Each linked profile with the lead it belonged to at the reference time, through the identity links made at or
 * before it (at most two hops: a visitor into a provisional email lead into a user), then through the merges a
 * person made by then (lead_merges, one hop: see mergedLeads); a user merged by hand is a row of its own even before
 * a worker records its link. Events from before an identify count for the lead; a link or merge made later changes
 * nothing in a past snapshot.
 */
export function linksAsOf(t: SnapshotTarget): string {
  const { db, at } = parts(t);
  const links = `SELECT profile, lead FROM ${db}.identity_links FINAL WHERE linked_at <= ${at}`;
  const twoHops = `SELECT profile, if(hop2 != '', hop2, hop1) AS linked_lead
      FROM (SELECT profile, lead AS hop1 FROM (${links})) AS l1
      ANY LEFT JOIN (SELECT profile AS hop1, lead AS hop2 FROM (${links})) AS l2 USING hop1`;
  const mergedUsers = `SELECT lead AS profile, lead AS linked_lead FROM ${db}.lead_merges FINAL WHERE merged_at <= ${at} AND lead NOT IN (SELECT profile FROM (${links})) GROUP BY lead`;
  return `SELECT profile, if(merged_into != '', merged_into, linked_lead) AS resolved_lead
    FROM (${twoHops} UNION ALL ${mergedUsers}) AS l3
    ANY LEFT JOIN (${mergedLeads(t.database, 'linked_lead', `${at}`)}) AS m USING linked_lead`;
}

/**
 * Adds `lead` to rows that carry a `profile` column, from `links` (linksAsOf, or the run's staged copy of it): both
 * hops are taken over the links before any event meets them, so each event is joined once.
 */
function withLead(rows: string, names: readonly string[], links: string): string {
  const cols = ['profile', ...names].join(', ');
  return `SELECT ${cols}, if(resolved_lead != '', resolved_lead, profile) AS lead
FROM (${rows}) AS e
ANY LEFT JOIN (${links}) AS l USING profile`;
}

/** The links of a snapshot as step 1 stages them: read by the steps that resolve events, computed once. */
function stagedLinks(t: SnapshotTarget): string {
  const { db, at } = parts(t);
  return `SELECT profile, resolved_lead FROM ${db}.rollup_links_staging WHERE as_of = ${at}`;
}

/** Step 1, links: the identity links as of the reference time, both hops taken (see linksAsOf). */
export function linksStage(t: SnapshotTarget): string {
  const { db, at } = parts(t);
  return `INSERT INTO ${db}.rollup_links_staging (as_of, profile, resolved_lead) SELECT ${at}, profile, resolved_lead FROM (${linksAsOf(t)})`;
}

/**
 * Events up to the reference time, each with its lead then (see withLead). Copies of a message (an insert repeated
 * after a crash) are not collapsed here: each use aggregates them away by its own key.
 */
export function resolvedEvents(
  t: SnapshotTarget,
  columns: Readonly<Record<string, string>>,
  where: string,
  links: string = linksAsOf(t),
  options: { readonly deduplicated?: boolean } = {},
): string {
  const { db, at } = parts(t);
  const inner = Object.entries(columns).map(([name, expr]) => `${expr} AS ${name}`);
  const source = `${db}.events${options.deduplicated ? ' FINAL' : ''}`;
  return withLead(`SELECT ${[...inner, `${profileOfEvent} AS profile`].join(', ')} FROM ${source} WHERE timestamp <= ${at} AND (${where})`, Object.keys(columns), links);
}

const isOrder = `type = 'track' AND event = ${literal(ORDER_EVENTS.completed)} AND order_id != '' AND ${unflagged}`;
const isRefund = `type = 'track' AND event = ${literal(ORDER_EVENTS.refunded)} AND order_id != '' AND ${unflagged}`;

/** Refunds up to the reference time, one row per message: a refund counts once however often it was inserted. */
function refunds(t: SnapshotTarget): string {
  const { db, at } = parts(t);
  return `SELECT message_id, any(order_id) AS refunded_order, any(revenue) AS refund_amount, any(${currencyOfRow}) AS refund_currency
FROM ${db}.events WHERE timestamp <= ${at} AND ${isRefund} GROUP BY message_id`;
}

/** The snapshot tables and their staging twins (same columns, same partitioning: a snapshot is published whole). */
export const SNAPSHOT_TABLES = ['rollup_orders', 'rollup_leads', 'rollup_companies'] as const;
export const STAGING_TABLES = [
  'rollup_links_staging',
  'rollup_orders_staging',
  'rollup_buyers_staging',
  'rollup_leads_staging',
  'rollup_company_buyers_staging',
  'rollup_companies_staging',
] as const;

/**
 * Step 2, orders: each "Order Completed" once by order id (its earliest message by event time, then `eventOrder`),
 * owned by the lead its message resolves to, valued in the reporting currency, net of its refunds up to the
 * reference time (refunds are matched to orders by order id, whoever sent them, and never take an order below 0).
 * An order is counted unless it has no rate, has no known lead, or was refunded in full; `left_out` says which.
 */
export function ordersStage(t: SnapshotTarget): string {
  const { db, at, tz } = parts(t);
  const s = t.settings;
  const orders = `SELECT order_id, argMin(lead_id, k) AS lead_id, argMin(message_id, k) AS first_message, argMin(timestamp, k) AS ordered_at,
    argMin(revenue, k) AS amount, argMin(order_currency, k) AS currency
  FROM (SELECT lead AS lead_id, order_id, message_id, timestamp, revenue, order_currency, k
    FROM (${resolvedEvents(t, { order_id: 'order_id', message_id: 'message_id', timestamp: 'timestamp', revenue: 'revenue', order_currency: currencyOfRow, k: eventOrder }, isOrder, stagedLinks(t))}))
  GROUP BY order_id`;
  const refundsByOrder = `SELECT refunded_order AS order_id, toUInt32(count()) AS refunds, sum(refund_amount * refund_rate) AS refunded,
    toUInt32(countIf(refund_rate = 0)) AS unrated_refunds
  FROM (SELECT refunded_order, refund_amount, ${rateOf(s, 'refund_currency')} AS refund_rate FROM (${refunds(t)}))
  GROUP BY refunded_order`;
  return `INSERT INTO ${db}.rollup_orders_staging (as_of, order_id, lead_id, message_id, ordered_at, purchase_day, currency, amount, rate, value, refunds, refunded, unrated_refunds, net, counted, left_out)
SELECT ${at}, order_id, lead_id, first_message, ordered_at, toDate(ordered_at, ${tz}), currency, amount, rate, value, refunds, refunded, unrated_refunds, net,
  left_out = '' AS counted, left_out
FROM (
  SELECT order_id, lead_id, first_message, ordered_at, currency, amount, rate, value, refunds, refunded, unrated_refunds,
    ${money('greatest(value - refunded, 0)')} AS net,
    multiIf(rate = 0, 'no_rate', startsWith(lead_id, 'a:'), 'anonymous', refunds > 0 AND refunded >= value AND value > 0, 'refunded', '') AS left_out
  FROM (
    SELECT order_id, lead_id, first_message, ordered_at, currency, amount, ${rateOf(s, 'currency')} AS rate, ${money('amount * rate')} AS value,
      refunds, ${money('refunded')} AS refunded, unrated_refunds
    FROM (${orders}) AS o
    ANY LEFT JOIN (${refundsByOrder}) AS r USING order_id
  )
)`;
}

/** Leads or companies: what a rollup scores, each with its id column, its buyers' staging table and its snapshots. */
export interface Entity {
  readonly kind: 'lead' | 'company';
  readonly id: 'lead_id' | 'company_id';
  readonly buyers: string;
  readonly table: 'rollup_leads' | 'rollup_companies';
}
export const LEADS: Entity = { kind: 'lead', id: 'lead_id', buyers: 'rollup_buyers_staging', table: 'rollup_leads' };
export const COMPANIES: Entity = { kind: 'company', id: 'company_id', buyers: 'rollup_company_buyers_staging', table: 'rollup_companies' };

/**
 * The counted orders of an entity: a lead's own; a company's, its members' as of the reference time (each order once
 * by order id, with the lead that placed it, so two members sharing one order id count it once).
 */
function countedOrders(t: SnapshotTarget, e: Entity): string {
  const { db, at } = parts(t);
  const orders = `SELECT lead_id, purchase_day, net FROM ${db}.rollup_orders_staging WHERE as_of = ${at} AND counted`;
  if (e.kind === 'lead') return orders;
  return `SELECT company_id, purchase_day, net FROM (${orders}) AS o
    ANY INNER JOIN (SELECT lead_id, company_id FROM ${db}.rollup_leads_staging WHERE as_of = ${at} AND company_id != '') AS m USING lead_id`;
}

/**
 * Step 3 (leads) and 5 (companies), buyers: those with a counted order up to the reference time. Recency in calendar
 * days from the last purchase day; frequency and monetary over the window (orders on days fewer than windowDays before
 * the reference day). The lifetime-value inputs exactly as Fader & Hardie define them: purchase days (orders of one
 * day merged, their values added), x repeat purchase days, t_x first to last purchase day, T first purchase day to the
 * reference day, and the mean value of the repeat days (the first day excluded; 0 when x = 0).
 */
export function buyersStage(t: SnapshotTarget, e: Entity = LEADS): string {
  const { db, at, day } = parts(t);
  const inWindow = `purchase_day > ${day} - ${t.settings.windowDays}`;
  const counted = countedOrders(t, e);
  const perBuyer = `SELECT ${e.id}, min(purchase_day) AS first_day, max(purchase_day) AS last_day,
    toUInt32(dateDiff('day', max(purchase_day), ${day})) AS recency_days,
    toUInt32(countIf(${inWindow})) AS frequency, ${money(`sumIf(net, ${inWindow})`)} AS monetary,
    toUInt32(count()) AS lifetime_orders, ${money('sum(net)')} AS lifetime_revenue
  FROM (${counted}) GROUP BY ${e.id}`;
  const perDay = `SELECT ${e.id}, toUInt32(count() - 1) AS x, toUInt32(dateDiff('day', min(purchase_day), max(purchase_day))) AS t_x,
    toUInt32(dateDiff('day', min(purchase_day), ${day})) AS T,
    if(count() = 1, 0, round((sum(day_value) - argMin(day_value, purchase_day)) / (count() - 1), 6)) AS mean_repeat_value
  FROM (SELECT ${e.id}, purchase_day, ${money('sum(net)')} AS day_value FROM (${counted}) GROUP BY ${e.id}, purchase_day)
  GROUP BY ${e.id}`;
  return `INSERT INTO ${db}.${e.buyers} (as_of, ${e.id}, first_day, last_day, recency_days, frequency, monetary, lifetime_orders, lifetime_revenue, x, t_x, T, mean_repeat_value)
SELECT ${at}, ${e.id}, first_day, last_day, recency_days, frequency, monetary, lifetime_orders, lifetime_revenue, x, t_x, T, mean_repeat_value
FROM (${perBuyer}) AS b ANY LEFT JOIN (${perDay}) AS d USING ${e.id}`;
}

/**
 * A score 1–5 for each distinct value of `key` over the buyers, higher values scoring higher: the quintile of the
 * value's mid-rank. A value held by `eq` buyers with `below` buyers under it sits at (below + eq/2) / n of the way up,
 * and scores 1 + ⌊5 × that⌋. Without ties these are exact quintiles (n/5 buyers per score); equal values always share
 * a score, and a value held by everyone scores 3. Computed in integers, so no rounding decides a boundary.
 */
function scoreByValue(t: SnapshotTarget, e: Entity, keyExpr: string, key: string, score: string, withAbc = false): string {
  const { db, at } = parts(t);
  const { a, b } = t.settings.abc;
  const distribution = `SELECT arraySort(groupArray((v, c))) AS sorted, toUInt64(sum(c)) AS n
    FROM (SELECT ${keyExpr} AS v, toUInt64(count()) AS c FROM ${db}.${e.buyers} WHERE as_of = ${at} GROUP BY v)`;
  const scoreOf = `toUInt8(least(5, 1 + intDiv(5 * (2 * tupleElement(d, 3) + tupleElement(d, 2)), 2 * n)))`;
  if (!withAbc) {
    return `SELECT tupleElement(d, 1) AS ${key}, ${scoreOf} AS ${score}
  FROM (SELECT arrayJoin(arrayMap((p, cum) -> (tupleElement(p, 1), tupleElement(p, 2), cum - tupleElement(p, 2)), sorted, arrayCumSum(arrayMap(p -> tupleElement(p, 2), sorted)))) AS d, n
    FROM (${distribution}))`;
  }
  // ABC: the revenue of the buyers strictly above a value is the total less the running sum up to it; its share of
  // the total places the value (and every buyer holding it) in A, B or C.
  return `SELECT tupleElement(d, 1) AS ${key}, ${scoreOf} AS ${score},
    multiIf(tupleElement(d, 1) <= 0 OR total <= 0, 'C', (total - tupleElement(d, 4)) / total < ${a}, 'A', (total - tupleElement(d, 4)) / total < ${b}, 'B', 'C') AS abc_class
  FROM (SELECT arrayJoin(arrayMap((p, cum, cumRevenue) -> (tupleElement(p, 1), tupleElement(p, 2), cum - tupleElement(p, 2), cumRevenue), sorted,
      arrayCumSum(arrayMap(p -> tupleElement(p, 2), sorted)), revenue)) AS d, n, arrayElement(revenue, -1) AS total
    FROM (SELECT sorted, n, arrayCumSum(arrayMap(p -> if(tupleElement(p, 1) > 0, tupleElement(p, 1) * tupleElement(p, 2), 0), sorted)) AS revenue FROM (${distribution})))`;
}

const BUYER_METRICS = ['first_day', 'last_day', 'recency_days', 'frequency', 'monetary', 'lifetime_orders', 'lifetime_revenue', 'x', 't_x', 'T', 'mean_repeat_value'];

/** Buyers with their R, F, M scores and ABC class. */
function scoredBuyers(t: SnapshotTarget, e: Entity): string {
  const { db, at } = parts(t);
  const cols = [e.id, ...BUYER_METRICS].join(', ');
  const withR = `SELECT ${cols}, r_score FROM (SELECT ${cols}, -toInt64(recency_days) AS r_key FROM ${db}.${e.buyers} WHERE as_of = ${at}) AS b
    ANY LEFT JOIN (${scoreByValue(t, e, '-toInt64(recency_days)', 'r_key', 'r_score')}) AS rs USING r_key`;
  const withF = `SELECT ${cols}, r_score, f_score FROM (${withR}) AS br ANY LEFT JOIN (${scoreByValue(t, e, 'frequency', 'frequency', 'f_score')}) AS fs USING frequency`;
  return `SELECT ${cols}, r_score, f_score, m_score, abc_class, toUInt8(1) AS buyer
  FROM (${withF}) AS bf ANY LEFT JOIN (${scoreByValue(t, e, 'monetary', 'monetary', 'm_score', true)}) AS ms USING monetary`;
}

/** A lead's company as the portrait keeps it: a group id, else its email's domain unless free mail. */
function companyOfRow(settings: RollupSettings): string {
  // Normalized emails hold one '@' (packages/identity), so the domain is what follows the first.
  const domain = `substring(email, position(email, '@') + 1)`;
  const freeMail = settings.freeMailDomains.length > 0 ? `NOT (${domain} IN (${settings.freeMailDomains.map((d) => literal(d)).join(', ')}))` : '1';
  return `if(group_id != '', group_id, if(email != '' AND ${freeMail}, concat('domain:', ${domain}), ''))`;
}

/** The columns every scored row has, leads and companies alike, from its activity and its buyer metrics. */
function scoredColumns(t: SnapshotTarget): Record<string, string> {
  const { day, tz } = parts(t);
  const s = t.settings;
  const { codes, segments } = segmentLookup(s.segments);
  const activeDaysAgo = `dateDiff('day', toDate(last_active, ${tz}), ${day})`;
  const code = `concat(toString(r_score), toString(f_score), toString(m_score))`;
  const whenBuyer = (expr: string) => `if(buyer = 1, toNullable(${expr}), NULL)`;
  return {
    last_active_at: 'if(activity > 0, toNullable(last_active), NULL)',
    buyer: 'buyer',
    first_order_day: whenBuyer('first_day'),
    last_order_day: whenBuyer('last_day'),
    lifetime_orders: 'lifetime_orders',
    lifetime_revenue: 'lifetime_revenue',
    recency_days: whenBuyer('recency_days'),
    frequency: 'frequency',
    monetary: 'monetary',
    r_score: whenBuyer('r_score'),
    f_score: whenBuyer('f_score'),
    m_score: whenBuyer('m_score'),
    rfm_code: whenBuyer(code),
    rfm_segment: whenBuyer(`transform(${code}, ${literal(codes)}, ${literal(segments)}, '')`),
    // The first rule that holds, each "within N days" meaning fewer than N days before the reference day.
    lifecycle_stage: `multiIf(buyer = 0, 'prospect',
    dateDiff('day', first_day, ${day}) < ${s.newDays}, 'new',
    recency_days < ${s.activeDays}, 'active',
    recency_days < ${s.dormantDays} OR (activity > 0 AND ${activeDaysAgo} < ${s.activityDays}), 'dormant',
    'churned')`,
    abc_class: whenBuyer('abc_class'),
  };
}

/**
 * How each row moved since the previous snapshot (the latest published one before this reference time): its stage and
 * segment there (for transition counts), and, as Klaviyo shows on a profile, the stage and segment it had before its
 * last change and when that change was (the first snapshot that showed the current value).
 */
function withHistory(t: SnapshotTarget, e: Entity, rows: string, names: readonly string[]): { sql: string; columns: string[] } {
  const { db, at } = parts(t);
  // The epoch when there is none: no snapshot has that reference time, so nothing matches it.
  const previousAsOf = `(SELECT max(as_of) FROM ${db}.rollup_runs WHERE as_of < ${at})`;
  const previous = `SELECT ${e.id}, toUInt8(1) AS seen, as_of AS p_as_of, lifecycle_stage AS p_stage, rfm_segment AS p_segment, previous_stage AS p_previous_stage,
    previous_segment AS p_previous_segment, stage_changed_at AS p_stage_changed_at, segment_changed_at AS p_segment_changed_at
    FROM ${db}.${e.table} WHERE as_of = ${previousAsOf}`;
  const stageChanged = `(seen = 0 OR p_stage != lifecycle_stage)`;
  const segmentChanged = `(seen = 0 OR NOT ifNull(p_segment = rfm_segment, isNull(p_segment) AND isNull(rfm_segment)))`;
  const history: Record<string, string> = {
    previous_as_of: `nullIf(${previousAsOf}, toDateTime(0, 'UTC'))`,
    stage_at_previous: 'if(seen = 1, toNullable(p_stage), NULL)',
    segment_at_previous: 'if(seen = 1, p_segment, NULL)',
    previous_stage: `if(seen = 0, NULL, if(${stageChanged}, toNullable(p_stage), p_previous_stage))`,
    previous_segment: `if(seen = 0, NULL, if(${segmentChanged}, p_segment, p_previous_segment))`,
    stage_changed_at: `if(${stageChanged}, ${at}, p_stage_changed_at)`,
    segment_changed_at: `if(${segmentChanged}, ${at}, p_segment_changed_at)`,
  };
  return {
    sql: `SELECT ${names.join(', ')}, ${Object.entries(history).map(([n, x]) => `${x} AS ${n}`).join(', ')}
FROM (${rows}) AS cur ANY LEFT JOIN (${previous}) AS prev USING ${e.id}`,
    columns: [...names, ...Object.keys(history)],
  };
}

/**
 * Step 4, leads: every known lead (a user or an email, not an anonymous visitor) with an event up to the reference
 * time, its company (of its latest unflagged event naming one), its activity, and, for buyers, RFM, segment, ABC class
 * and lifetime-value inputs. Lifecycle stages: prospect (no counted order ever); new (first order within newDays);
 * active (an order within activeDays); dormant (last order within dormantDays, or unflagged activity within
 * activityDays); churned (neither).
 */
export function leadsStage(t: SnapshotTarget): string {
  const { db, at } = parts(t);
  const s = t.settings;
  const leads = `SELECT lead AS lead_id, argMaxIf(company, k, company != '' AND active) AS company_id, min(timestamp) AS first_seen_at,
    maxIf(timestamp, active) AS last_active, countIf(active) AS activity
  FROM (${resolvedEvents(t, { timestamp: 'timestamp', active: unflagged, company: companyOfRow(s), k: eventOrder }, '1', stagedLinks(t))})
  WHERE NOT startsWith(lead, 'a:')
  GROUP BY lead`;
  const whenBuyer = (expr: string) => `if(buyer = 1, toNullable(${expr}), NULL)`;
  const columns: Record<string, string> = {
    lead_id: 'lead_id',
    company_id: 'company_id',
    first_seen_at: 'first_seen_at',
    ...scoredColumns(t),
    x: whenBuyer('x'),
    t_x: whenBuyer('t_x'),
    T: whenBuyer('T'),
    mean_repeat_value: whenBuyer('mean_repeat_value'),
  };
  const rows = `SELECT ${Object.entries(columns).map(([n, x]) => `${x} AS ${n}`).join(', ')}
FROM (${leads}) AS l ANY LEFT JOIN (${scoredBuyers(t, LEADS)}) AS b USING lead_id`;
  const all = withHistory(t, LEADS, rows, Object.keys(columns));
  return `INSERT INTO ${db}.rollup_leads_staging (as_of, ${all.columns.join(', ')})
SELECT ${at}, ${all.columns.join(', ')} FROM (${all.sql})`;
}

/**
 * Step 6, companies: every company a known lead belongs to (as of the reference time), scored like the leads from its
 * members' orders, each order once by order id; its activity is its members'.
 */
export function companiesStage(t: SnapshotTarget): string {
  const { db, at } = parts(t);
  const members = `SELECT company_id, toUInt32(count()) AS known_leads, toUInt32(countIf(buyer = 1)) AS buyers,
    max(ifNull(last_active_at, toDateTime(0, 'UTC'))) AS last_active, countIf(isNotNull(last_active_at)) AS activity
  FROM ${db}.rollup_leads_staging WHERE as_of = ${at} AND company_id != '' GROUP BY company_id`;
  const columns: Record<string, string> = { company_id: 'company_id', known_leads: 'known_leads', buyers: 'buyers', ...scoredColumns(t) };
  const rows = `SELECT ${Object.entries(columns).map(([n, x]) => `${x} AS ${n}`).join(', ')}
FROM (${members}) AS m ANY LEFT JOIN (${scoredBuyers(t, COMPANIES)}) AS b USING company_id`;
  const all = withHistory(t, COMPANIES, rows, Object.keys(columns));
  return `INSERT INTO ${db}.rollup_companies_staging (as_of, ${all.columns.join(', ')})
SELECT ${at}, ${all.columns.join(', ')} FROM (${all.sql})`;
}

/** Clears a snapshot's partition in the staging tables (left over by a run that stopped, or done with). */
export function clearStaging(t: SnapshotTarget): string[] {
  const { db } = parts(t);
  return STAGING_TABLES.map((table) => sql`ALTER TABLE ${db}.${quoteIdentifier(table)} DROP PARTITION ID ${partitionId(snapshotTime(t.asOf))}`);
}

export type SnapshotTable = (typeof SNAPSHOT_TABLES)[number];

/**
 * Publishes a snapshot: each table's partition replaced at once by its staging twin's, so readers see the previous
 * snapshot or the new one, never half of one, and a rerun replaces rather than adds. A table the snapshot has no rows
 * for has its partition dropped instead (current ClickHouse refuses to replace a partition from an empty one).
 */
export function publishSnapshot(t: SnapshotTarget, staged: Readonly<Record<SnapshotTable, number>>): string[] {
  const { db } = parts(t);
  const id = partitionId(snapshotTime(t.asOf));
  return SNAPSHOT_TABLES.map((table) =>
    staged[table] > 0
      ? sql`ALTER TABLE ${db}.${quoteIdentifier(table)} REPLACE PARTITION ID ${id} FROM ${db}.${quoteIdentifier(`${table}_staging`)}`
      : sql`ALTER TABLE ${db}.${quoteIdentifier(table)} DROP PARTITION ID ${id}`,
  );
}

/** What a snapshot's summary reads, each a query of one row or a few, named. */
export function summaryQueries(t: SnapshotTarget) {
  const { db, at } = parts(t);
  return {
    leads: `SELECT toUInt64(count()) AS leads, toUInt64(countIf(buyer = 1)) AS buyers, ${money('sum(monetary)')} AS revenue FROM ${db}.rollup_leads WHERE as_of = ${at}`,
    companies: `SELECT toUInt64(count()) AS companies, toUInt64(countIf(buyer = 1)) AS buyers FROM ${db}.rollup_companies WHERE as_of = ${at}`,
    orders: `SELECT toUInt64(countIf(counted = 1)) AS counted, toUInt64(countIf(left_out = 'anonymous')) AS anonymous, toUInt64(countIf(left_out = 'refunded')) AS refunded,
  toUInt64(sum(unrated_refunds)) AS unrated_refunds FROM ${db}.rollup_orders WHERE as_of = ${at}`,
    unrated: `SELECT currency, toUInt64(count()) AS orders, ${money('sum(amount)')} AS amount FROM ${db}.rollup_orders WHERE as_of = ${at} AND left_out = 'no_rate' GROUP BY currency ORDER BY currency`,
    unmatchedRefunds: `SELECT toUInt64(count()) AS unmatched FROM (${refunds(t)}) WHERE refunded_order NOT IN (SELECT order_id FROM ${db}.rollup_orders WHERE as_of = ${at})`,
    stages: `SELECT lifecycle_stage AS name, toUInt64(count()) AS leads FROM ${db}.rollup_leads WHERE as_of = ${at} GROUP BY name ORDER BY name`,
    classes: `SELECT assumeNotNull(abc_class) AS name, toUInt64(count()) AS leads FROM ${db}.rollup_leads WHERE as_of = ${at} AND buyer = 1 GROUP BY name ORDER BY name`,
    segments: `SELECT assumeNotNull(rfm_segment) AS name, toUInt64(count()) AS leads FROM ${db}.rollup_leads WHERE as_of = ${at} AND buyer = 1 GROUP BY name ORDER BY name`,
  } as const;
}

/**
 * The yardstick of `pnpm bench:rollups`: the least an analyst's query over the same resolved events does — each
 * event's lead, then events and revenue per lead. Counting events needs them deduplicated by message id (FINAL), as
 * the rollups' inputs are defined; `deduplicated: false` reads raw rows, which is cheaper and wrong after a repeated
 * insert (the rollups themselves count nothing twice without FINAL: orders by order id, refunds by message id,
 * activity by its latest time).
 */
export function plainScan(t: SnapshotTarget, options: { readonly deduplicated: boolean } = { deduplicated: true }): string {
  return `SELECT lead, count() AS events, sum(revenue) AS revenue FROM (${resolvedEvents(t, { revenue: 'revenue' }, '1', linksAsOf(t), options)}) GROUP BY lead`;
}
