import { formatDateTime, quoteIdentifier, sql, type SqlExecutor } from '@leadscore/clickhouse/sql';

/**
 * Rows as the ingest worker writes them to `events` and `identity_links`, with only the columns the rollups read:
 * fixtures say who did what when, in a line each.
 */
export interface EventRow {
  readonly message_id: string;
  readonly type: string;
  readonly event: string;
  readonly user_id: string;
  readonly anonymous_id: string;
  readonly group_id: string;
  readonly email: string;
  readonly timestamp: string;
  readonly flags: readonly string[];
  readonly order_id: string;
  readonly revenue: number;
  readonly currency: string;
}

let seq = 0;
const id = (prefix: string) => `${prefix}-${++seq}`;

/** The profile columns of a lead id: `u:<id>`, `e:<email>` (as an email link sends it) or `a:<visitor>`. */
function who(profile: string): Pick<EventRow, 'user_id' | 'anonymous_id'> {
  if (profile.startsWith('u:')) return { user_id: profile.slice(2), anonymous_id: '' };
  if (profile.startsWith('e:')) return { user_id: '', anonymous_id: `email:${profile.slice(2)}` };
  return { user_id: '', anonymous_id: profile.replace(/^a:/, '') };
}

const base = (profile: string, at: string, over: Partial<EventRow>): EventRow => ({
  message_id: id('m'),
  type: 'page',
  event: 'Pricing',
  group_id: '',
  email: '',
  timestamp: formatDateTime(new Date(at)),
  flags: [],
  order_id: '',
  revenue: 0,
  currency: '',
  ...who(profile),
  ...over,
});

export const page = (profile: string, at: string, over: Partial<EventRow> = {}) => base(profile, at, over);
export const order = (profile: string, at: string, revenue: number, currency = 'USD', orderId = id('o'), over: Partial<EventRow> = {}) =>
  base(profile, at, { type: 'track', event: 'Order Completed', order_id: orderId, revenue, currency, ...over });
export const refund = (profile: string, at: string, orderId: string, amount: number, currency = 'USD') =>
  base(profile, at, { type: 'track', event: 'Order Refunded', order_id: orderId, revenue: amount, currency });

export interface LinkRow {
  readonly profile: string;
  readonly lead: string;
  readonly linked_at: string;
}
export const link = (profile: string, lead: string, at: string): LinkRow => ({ profile, lead, linked_at: formatDateTime(new Date(at)) });

export async function insertEvents(exec: SqlExecutor, database: string, rows: readonly EventRow[]): Promise<void> {
  if (rows.length === 0) return;
  const db = quoteIdentifier(database);
  const values = rows.map(
    (r) =>
      sql`(${r.message_id}, ${r.type}, ${r.event}, ${r.user_id}, ${r.anonymous_id}, ${r.group_id}, ${r.email}, ${r.timestamp}, ${r.timestamp}, ${[...r.flags]}, ${r.order_id}, ${r.revenue}, ${r.currency})`,
  );
  await exec.command(
    `INSERT INTO ${db}.events (message_id, type, event, user_id, anonymous_id, group_id, email, timestamp, received_at, flags, order_id, revenue, currency) VALUES ${values.join(', ')}`,
  );
}

export async function insertLinks(exec: SqlExecutor, database: string, rows: readonly LinkRow[]): Promise<void> {
  if (rows.length === 0) return;
  const db = quoteIdentifier(database);
  const values = rows.map((r) => sql`(${r.profile}, ${r.lead}, 'identify', '', ${r.linked_at})`);
  await exec.command(`INSERT INTO ${db}.identity_links (profile, lead, reason, message_id, linked_at) VALUES ${values.join(', ')}`);
}

/** Fixtures are written relative to their reference time: `daysAgo(t, 3)` is three days before it, at `hourUtc`. */
export function daysAgo(reference: Date, days: number, hourUtc = 4): string {
  const at = new Date(reference.getTime() - days * 86_400_000);
  at.setUTCHours(hourUtc, 0, 0, 0);
  return at.toISOString();
}

/** Users a person merged by hand, as the API records them in lead_merges. */
export async function insertMerges(exec: SqlExecutor, database: string, rows: readonly { readonly lead: string; readonly merged_into: string; readonly merged_at: string }[]): Promise<void> {
  if (rows.length === 0) return;
  const db = quoteIdentifier(database);
  const values = rows.map((r) => sql`(${r.lead}, ${r.merged_into}, ${new Date(r.merged_at)}, 'merge:test', 'ops', '')`);
  await exec.command(`INSERT INTO ${db}.lead_merges (lead, merged_into, merged_at, message_id, merged_by, note) VALUES ${values.join(', ')}`);
}
