import { groupSchema, identifySchema, intakeMessage, trackSchema, type Source } from '@leadscore/events';
import type { RowValues } from './columns.ts';
import { parseDate } from './dates.ts';
import type { ImportKind } from './kinds.ts';
import type { Mapping } from './mapping.ts';
import { messageIdFor, type RowKey } from './message-id.ts';
import { fail, ok, type Parsed } from './problems.ts';
import { normalizeDomain, normalizeEmail, parseAmount, parseCurrency, parseProducts, parseSize } from './values.ts';
import type { z } from './zod.ts';

/**
 * One CSV row → one Segment message, without I/O: leads become `identify`, companies `group`, orders `track`
 * "Order Completed". The message is then checked exactly as the collector will check it, so a row that would be
 * refused there is refused here, before anything is sent.
 */

export type ImportMessage = z.input<typeof identifySchema> | z.input<typeof groupSchema> | z.input<typeof trackSchema>;

export interface BuiltRow {
  readonly key: RowKey;
  readonly messageId: string;
  readonly message: ImportMessage;
}

export interface BuildOptions {
  readonly mapping: Mapping;
  /** The import's time: the timestamp of rows without a date, and the latest date a row may carry. */
  readonly now: Date;
}

/** Stitching key of a person known only by email; the ingest workers join it to the lead with that email. */
export const emailIdentity = (email: string) => `email:${email}`;
/** Group id of a company known only by its domain, the same whichever file (leads, companies, orders) names it. */
export const domainGroupId = (domain: string) => `domain:${domain}`;
export const companyIdentity = (groupId: string) => `import:company:${groupId}`;

/** Slack for the collector's clock: the same one hour it allows by default. */
const FUTURE_SLACK_MS = 3_600_000;
const SOURCE: Source = { id: 'import-csv', kind: 'import' };

type Row<K extends ImportKind> = RowValues<K>['fields'];
type Builder<K extends ImportKind> = (row: Row<K>, extra: Readonly<Record<string, string>>, options: BuildOptions) => Parsed<Omit<BuiltRow, 'messageId'>>;

function timestamp(cell: string | undefined, options: BuildOptions, required: boolean): Parsed<string> {
  if (cell === undefined) return required ? fail('invalid_date', 'date is empty') : ok(options.now.toISOString());
  return parseDate(cell, { order: options.mapping.dateOrder, latest: new Date(options.now.getTime() + FUTURE_SLACK_MS) });
}

/** The account a lead or order belongs to: its company id, else its company's domain. */
function groupIdOf(row: { company_id?: string; company_domain?: string }): Parsed<string | undefined> {
  if (row.company_id !== undefined) return ok(row.company_id);
  if (row.company_domain === undefined) return ok(undefined);
  const domain = normalizeDomain(row.company_domain, 'company domain');
  return domain.ok ? ok(domainGroupId(domain.value)) : domain;
}

/** Drops the fields a row had no value for, so traits say only what the file says. */
function defined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

const lead: Builder<'leads'> = (row, extra, options) => {
  const email = row.email === undefined ? undefined : normalizeEmail(row.email);
  if (email && !email.ok) return email;
  const emailValue = email?.value;
  let key: RowKey;
  let identity: { userId: string } | { anonymousId: string };
  if (row.id !== undefined) [key, identity] = [{ by: 'id', value: row.id }, { userId: row.id }];
  else if (emailValue !== undefined) [key, identity] = [{ by: 'email', value: emailValue }, { anonymousId: emailIdentity(emailValue) }];
  else return fail('missing_key', 'has neither a lead id nor an email');
  const groupId = groupIdOf(row);
  if (!groupId.ok) return groupId;
  const time = timestamp(row.date, options, false);
  if (!time.ok) return time;
  const name = row.name ?? ([row.first_name, row.last_name].filter((n) => n !== undefined).join(' ') || undefined);
  return ok({
    key,
    message: {
      type: 'identify',
      ...identity,
      timestamp: time.value,
      traits: {
        ...extra,
        ...defined({
          email: emailValue,
          name,
          firstName: row.first_name,
          lastName: row.last_name,
          title: row.title,
          phone: row.phone,
          company: row.company,
          owner: row.owner,
          industry: row.industry,
          region: row.region,
        }),
      },
      ...(groupId.value !== undefined ? { context: { groupId: groupId.value } } : {}),
    },
  });
};

const company: Builder<'companies'> = (row, extra, options) => {
  const domain = row.domain === undefined ? undefined : normalizeDomain(row.domain);
  if (domain && !domain.ok) return domain;
  const domainValue = domain?.value;
  let key: RowKey;
  let groupId: string;
  if (row.id !== undefined) [key, groupId] = [{ by: 'id', value: row.id }, row.id];
  else if (domainValue !== undefined) [key, groupId] = [{ by: 'domain', value: domainValue }, domainGroupId(domainValue)];
  else return fail('missing_key', 'has neither a company id nor a domain');
  const time = timestamp(row.date, options, false);
  if (!time.ok) return time;
  return ok({
    key,
    message: {
      type: 'group',
      groupId,
      anonymousId: companyIdentity(groupId),
      timestamp: time.value,
      traits: {
        ...extra,
        ...defined({
          name: row.name,
          domain: domainValue,
          industry: row.industry,
          // Segment's group trait for head count; a band such as "51-200" stays a string.
          employees: row.size === undefined ? undefined : parseSize(row.size),
          region: row.region,
          owner: row.owner,
        }),
      },
    },
  });
};

const order: Builder<'orders'> = (row, extra, options) => {
  if (row.order_id === undefined) return fail('missing_key', 'has no order id');
  if (row.revenue === undefined) return fail('invalid_amount', 'amount is empty');
  const revenue = parseAmount(row.revenue, options.mapping.decimalSeparator);
  if (!revenue.ok) return revenue;
  const currency = row.currency !== undefined ? parseCurrency(row.currency) : ok(options.mapping.orders?.currency);
  if (!currency.ok) return currency;
  const email = row.email === undefined ? undefined : normalizeEmail(row.email);
  if (email && !email.ok) return email;
  const emailValue = email?.value;
  let identity: { userId: string } | { anonymousId: string };
  if (row.user_id !== undefined) identity = { userId: row.user_id };
  else if (emailValue !== undefined) identity = { anonymousId: emailIdentity(emailValue) };
  else return fail('missing_identity', 'has neither a buyer id nor a buyer email');
  const products = row.products === undefined ? undefined : parseProducts(row.products);
  if (products && !products.ok) return products;
  const groupId = groupIdOf(row);
  if (!groupId.ok) return groupId;
  // An order without its date would be dated today and skew every rollup by time; better refused.
  const time = timestamp(row.date, options, true);
  if (!time.ok) return time;
  const context = defined({ groupId: groupId.value, traits: emailValue !== undefined ? { email: emailValue } : undefined });
  return ok({
    key: { by: 'order_id', value: row.order_id },
    message: {
      type: 'track',
      event: 'Order Completed',
      ...identity,
      timestamp: time.value,
      properties: {
        ...extra,
        ...defined({ order_id: row.order_id, revenue: revenue.value, currency: currency.value, products: products?.value }),
      },
      ...(Object.keys(context).length > 0 ? { context } : {}),
    },
  });
};

const builders: { readonly [K in ImportKind]: Builder<K> } = {
  leads: lead,
  companies: company,
  orders: order,
};

export function buildRow<K extends ImportKind>(kind: K, values: RowValues<K>, options: BuildOptions): Parsed<BuiltRow> {
  // TypeScript cannot follow K from the table's key to its value; the table's type above is what guarantees it.
  const built = (builders[kind] as Builder<K>)(values.fields, values.extra, options);
  if (!built.ok) return built;
  const messageId = messageIdFor(kind, built.value.key);
  const message = { messageId, ...built.value.message } as ImportMessage;
  const checked = intakeMessage(message, { receivedAt: options.now, source: SOURCE, maxFutureMs: FUTURE_SLACK_MS, maxPastMs: null });
  if (!checked.ok) return fail(checked.reason, checked.issues.map((i) => `${i.path}: ${i.message}`).join('; '), checked.issues);
  return ok({ key: built.value.key, messageId, message });
}
